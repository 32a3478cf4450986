"""Script-mode inference: the user's `model_fn`/`input_fn`/`predict_fn`/`output_fn` behind
/invocations, as SageMaker's framework serving containers call them.

Where the script is: `SAGEMAKER_PROGRAM` names it (the SDK sets it from `entry_point`) inside
`SAGEMAKER_SUBMIT_DIRECTORY` — a folder the platform has already fetched and unpacked next to
the model (it rewrites an `s3://…/sourcedir.tar.gz` to that folder) or `/opt/ml/model/code`,
meaning the `code/` folder inside model.tar.gz, as the SDK's repacked models have. Without
either, a model archive's `code/inference.py` is used, as the PyTorch and TensorFlow containers
do. `requirements.txt` next to the script is installed as for training (envs.py) and put in
front of the server's own packages.

Per request: JSON and CSV bodies are decoded to text, then `transform_fn(model, body,
content_type, accept)` — the user's, or `output_fn(predict_fn(input_fn(body, content_type),
model), accept)` with the framework's defaults (serve_script_defaults.py) for the hooks the
script leaves out. A missing or `*/*` Accept means `SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`
(default application/json). An exception in a hook is a 500 whose traceback goes to the log.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from types import ModuleType
from typing import Any

from tsukuru.runtime.algorithms.errors import TrainingError
from tsukuru.runtime.envs import environment_for, envs_root
from tsukuru.runtime.script_mode_frameworks import framework_named, require_framework
from tsukuru.runtime.serve import InvocationError, StartupError
from tsukuru.runtime.serve_script_codecs import JSON, UTF8_TYPES, media_type
from tsukuru.runtime.serve_script_defaults import DEFAULT_HOOKS, Hooks

log = logging.getLogger("tsukuru.serve")

CONTAINER_MODEL_DIR = "/opt/ml/model"
DEFAULT_ENTRY_POINT = "inference.py"
REQUIREMENTS_FILE = "requirements.txt"
HOOK_NAMES = ("model_fn", "input_fn", "predict_fn", "output_fn")
Transform = Callable[[Any, Any, str, str], Any]


@dataclass(frozen=True)
class UserCode:
    folder: Path | None
    program: str | None


def locate_code(model_dir: Path, environ: Mapping[str, str]) -> UserCode:
    """The folder holding the inference script, and the script's file name."""
    program = environ.get("SAGEMAKER_PROGRAM", "").strip() or None
    submitted = environ.get("SAGEMAKER_SUBMIT_DIRECTORY", "").strip()
    folder: Path | None = None
    if submitted.startswith("s3://"):
        raise StartupError(
            f"SAGEMAKER_SUBMIT_DIRECTORY {submitted} was not fetched: the platform unpacks an "
            "s3:// source directory next to the model before the server starts."
        )
    if submitted.startswith(CONTAINER_MODEL_DIR):
        folder = model_dir / submitted[len(CONTAINER_MODEL_DIR) :].lstrip("/")
    elif submitted:
        folder = _local_folder(Path(submitted.removeprefix("file://")))
    elif (model_dir / "code").is_dir():
        folder = model_dir / "code"
    if folder is not None and not folder.is_dir():
        raise StartupError(f"The source directory {submitted or folder} does not exist.")
    if program is None and folder is not None and (folder / DEFAULT_ENTRY_POINT).is_file():
        program = DEFAULT_ENTRY_POINT
    return UserCode(folder, program)


def _local_folder(path: Path) -> Path:
    if not path.is_file():
        return path
    folder = Path(tempfile.mkdtemp(prefix="tsukuru-code-"))
    try:
        with tarfile.open(path, "r:*") as tar:
            tar.extractall(folder, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise StartupError(f"The source archive {path} cannot be unpacked: {exc}") from exc
    return folder


def import_script(code: UserCode) -> ModuleType | None:
    """Import the entry point as a module (its folder first on sys.path for its own imports)."""
    if code.program is None:
        return None
    if code.folder is None:
        raise StartupError(
            f"SAGEMAKER_PROGRAM is {code.program} but there is no source directory: set "
            "SAGEMAKER_SUBMIT_DIRECTORY or put the script in model.tar.gz under code/."
        )
    path = code.folder / code.program
    if not path.is_file():
        raise StartupError(f"The inference script {code.program} is not in {code.folder}.")
    folder = str(code.folder)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise StartupError(f"The inference script {code.program} cannot be imported.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
        raise StartupError(
            f"The inference script {code.program} failed to import{where}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return module


def user_hooks(module: ModuleType | None, defaults: Hooks) -> tuple[Hooks, Transform | None]:
    """The script's hooks over the framework's defaults, and its transform_fn if it has one."""
    found = {name: getattr(module, name, None) for name in (*HOOK_NAMES, "transform_fn")}
    transform = found.pop("transform_fn")
    overlap = [name for name in ("input_fn", "predict_fn", "output_fn") if found[name]]
    if transform is not None and overlap:
        raise StartupError(
            "Cannot use transform_fn together with input_fn, predict_fn or output_fn "
            f"(the script defines {', '.join(overlap)}): keep one or the other."
        )
    hooks = Hooks(**{name: found[name] or getattr(defaults, name) for name in HOOK_NAMES})
    return hooks, transform


class ScriptHandler:
    """One loaded model and the hooks that answer a request with it."""

    def __init__(
        self,
        model: Any,
        hooks: Hooks,
        transform: Transform | None,
        default_accept: str = JSON,
        default_content_type: str = JSON,
    ) -> None:
        self.model = model
        self.hooks = hooks
        self._transform = transform or self._default_transform
        self.default_accept = default_accept
        self.default_content_type = default_content_type

    def _default_transform(self, model: Any, data: Any, content_type: str, accept: str) -> Any:
        features = self.hooks.input_fn(data, content_type)
        prediction = self.hooks.predict_fn(features, model)
        return self.hooks.output_fn(prediction, accept)

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None
    ) -> tuple[bytes, str]:
        content_type = content_type or self.default_content_type
        if not accept or media_type(accept) in ("*/*", ""):
            accept = self.default_accept
        data: str | bytes = body
        if media_type(content_type) in UTF8_TYPES:
            try:
                data = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvocationError(
                    HTTPStatus.BAD_REQUEST, f"The {content_type} body is not UTF-8: {exc}"
                ) from None
        return response(self._transform(self.model, data, content_type, accept), accept)


def response(result: Any, accept: str) -> tuple[bytes, str]:
    """What a hook returned, as (body, content type): bytes or text (in the Accept type), or a
    `(body, content_type)` pair."""
    content_type = media_type(accept.split(",", 1)[0]) or JSON
    if isinstance(result, tuple) and len(result) == 2:
        result, content_type = result
    if isinstance(result, str):
        return result.encode("utf-8"), str(content_type)
    if isinstance(result, bytes | bytearray | memoryview):
        return bytes(result), str(content_type)
    raise TypeError(
        f"output_fn returned {type(result).__name__}; it must return bytes or str (optionally "
        "with the content type, as a (body, content_type) tuple)"
    )


def load_handler(model_dir: Path, environ: Mapping[str, str]) -> ScriptHandler:
    """The HandlerLoader for script mode (TSUKURU_ALGORITHM names the framework)."""
    name = environ.get("TSUKURU_ALGORITHM", "sklearn").strip().lower()
    try:
        framework = framework_named(name)
        code = locate_code(model_dir, environ)
        extra: list[str] = []
        if code.folder is not None and (code.folder / REQUIREMENTS_FILE).is_file():
            environment = environment_for(
                code.folder / REQUIREMENTS_FILE, envs_root(environ), log=log.info
            )
            environment.activate_here()
            extra.append(str(environment.site_packages))
        require_framework(framework, extra)
    except TrainingError as exc:  # ClientError from the shared checks, worded for the user
        raise StartupError(exc.message) from exc
    module = import_script(code)
    hooks, transform = user_hooks(module, DEFAULT_HOOKS[framework.name])
    log.info(
        "script mode (%s): %s from %s",
        framework.label,
        code.program or "default hooks",
        code.folder,
    )
    model = hooks.model_fn(str(model_dir))
    return ScriptHandler(
        model,
        hooks,
        transform,
        default_accept=environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "").strip() or JSON,
        default_content_type=environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_CONTENT_TYPE", "").strip()
        or JSON,
    )
