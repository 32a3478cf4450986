"""Start-up hook for client Pythons: make the SageMaker SDK read tsukuru's execution-role file.

`sagemaker.get_execution_role()` first looks for the notebook metadata file
`/opt/ml/metadata/resource-metadata.json` (a module constant, `NOTEBOOK_METADATA_FILE`), and
only without it asks STS, which the SDK sends to the real `sts.<region>.amazonaws.com` whatever
`AWS_ENDPOINT_URL` says. A non-root user cannot create that file, and writing outside
`TSUKURU_HOME` would leak one platform's role into every other Python on the machine.

So `tsukuru env` / `tsukuru exec` copy this file to `<home>/client/python/sitecustomize.py`
and put that folder first on `PYTHONPATH`. Python's `site` imports it at start-up; it installs an
import hook that, once an SDK module defining `NOTEBOOK_METADATA_FILE` has executed, points
that one constant at the file named by `TSUKURU_SAGEMAKER_METADATA_FILE` (under
`TSUKURU_HOME`). Nothing else is touched and nothing is imported eagerly; Pythons that never
import the SDK only pay for one extra finder. Then it runs the `sitecustomize` this one hides
(a distribution's or a virtualenv's), so existing start-up customisation keeps working.

This file must import nothing but the standard library: it runs inside the user's virtualenv,
where tsukuru is not installed.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any, cast

METADATA_VARIABLE = "TSUKURU_SAGEMAKER_METADATA_FILE"
METADATA_CONSTANT = "NOTEBOOK_METADATA_FILE"
MARKER = "tsukuru_metadata_redirect"
# The SDK modules whose get_caller_identity_arn() reads METADATA_CONSTANT: v2, the
# sagemaker-core 1.x helper v2 depends on, and v3.
SDK_MODULES = frozenset(
    {
        "sagemaker.session",
        "sagemaker_core.helper.session_helper",
        "sagemaker.core.helper.session_helper",
    }
)


class _RedirectingLoader:
    """Wraps the module's real loader: execute as usual, then repoint the one constant."""

    def __init__(self, inner: Any, path: str) -> None:
        self._inner = inner
        self._path = path

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self._inner.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        if hasattr(module, METADATA_CONSTANT):
            setattr(module, METADATA_CONSTANT, self._path)

    def __getattr__(self, name: str) -> Any:
        # get_source, get_filename, get_resource_reader...: tracebacks and importlib.resources
        # keep working through the real loader.
        return getattr(self._inner, name)


class MetadataRedirect:
    """A meta-path finder that only ever answers for SDK_MODULES, with a wrapped loader.

    Recognised by the MARKER attribute rather than by class: a second copy of this file (another
    home's, chained) defines a class of its own, and two redirects must neither stack up nor
    delegate to each other."""

    tsukuru_metadata_redirect = True

    def __init__(self, path: str, modules: frozenset[str] = SDK_MODULES) -> None:
        self.path = path
        self.modules = modules

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in self.modules:
            return None
        for finder in sys.meta_path:
            if getattr(finder, MARKER, False):
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec: ModuleSpec | None = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _RedirectingLoader(spec.loader, self.path)  # type: ignore[assignment]
        return spec


def install(path: str) -> MetadataRedirect:
    """Put a redirect to `path` first on sys.meta_path (once) and return it."""
    for finder in sys.meta_path:
        if getattr(finder, MARKER, False):
            existing = cast("MetadataRedirect", finder)  # maybe another copy's class
            existing.path = path
            return existing
    redirect = MetadataRedirect(path)
    sys.meta_path.insert(0, redirect)
    return redirect


def _entries_after(folder: str, path: Sequence[str]) -> list[str]:
    """The sys.path entries after `folder` (all others when it is absent): only the *next*
    sitecustomize may run, so two chained copies never run each other in turn."""
    real = [os.path.realpath(entry or os.curdir) for entry in path]
    if folder in real:
        return list(path[real.index(folder) + 1 :])
    return [entry for index, entry in enumerate(path) if real[index] != folder]


def run_hidden_sitecustomize(this_file: str) -> None:
    """Execute the next `sitecustomize` on sys.path after this file's folder, if any."""
    folder = os.path.realpath(os.path.dirname(this_file))
    search = _entries_after(folder, sys.path)
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", search)
    if spec is None or spec.loader is None or spec.origin is None:
        return
    if os.path.realpath(spec.origin) == os.path.realpath(this_file):
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


def main() -> None:
    path = os.environ.get(METADATA_VARIABLE)
    if path:
        install(path)
    run_hidden_sitecustomize(__file__)


if __name__ == "sitecustomize":
    main()
