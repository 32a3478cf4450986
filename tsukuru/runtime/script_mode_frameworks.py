"""Which Python package each script-mode framework needs, and the message when it is missing.

SageMaker's framework images come with their framework installed; here the user's script runs
on the platform's interpreter plus the job's requirements.txt. scikit-learn and xgboost are
platform dependencies; PyTorch and TensorFlow are large and optional. A job whose framework is
not importable fails before the script starts, saying what to add, instead of dying on the
script's first `import torch` with a traceback that does not say why.
"""

from __future__ import annotations

import importlib.machinery
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from tsukuru.runtime.algorithms.errors import ClientError


@dataclass(frozen=True)
class Framework:
    name: str  # as TSUKURU_ALGORITHM names it
    label: str  # as a user knows it
    module: str  # what `import` must find
    requirement: str  # what to put in requirements.txt or pip install


FRAMEWORKS = {
    "sklearn": Framework("sklearn", "scikit-learn", "sklearn", "scikit-learn"),
    "xgboost": Framework("xgboost", "XGBoost", "xgboost", "xgboost"),
    "pytorch": Framework("pytorch", "PyTorch", "torch", "torch"),
    "tensorflow": Framework("tensorflow", "TensorFlow", "tensorflow", "tensorflow"),
}
SCRIPT_ONLY_FRAMEWORKS = frozenset({"sklearn", "pytorch", "tensorflow"})


def framework_named(name: str) -> Framework:
    framework = FRAMEWORKS.get(name)
    if framework is None:
        raise ClientError(
            f"Unknown script-mode framework {name!r}; supported: {', '.join(sorted(FRAMEWORKS))}"
        )
    return framework


def is_importable(module: str, extra_paths: Sequence[str] = ()) -> bool:
    """Whether `import module` would succeed on sys.path with `extra_paths` in front, without
    importing it (TensorFlow takes seconds to import)."""
    if module in sys.modules:
        return True
    return importlib.machinery.PathFinder.find_spec(module, [*extra_paths, *sys.path]) is not None


def require_framework(framework: Framework, extra_paths: Sequence[str] = ()) -> None:
    """ClientError naming the requirement to add when the framework's package is missing."""
    if is_importable(framework.module, extra_paths):
        return
    raise ClientError(
        f"The {framework.label} framework image needs the Python package '{framework.module}', "
        "which is not installed where tsukuru runs jobs. Add the line "
        f"'{framework.requirement}' to requirements.txt in your source directory (source_dir), "
        f"or install it next to tsukuru: pip install {framework.requirement}"
    )
