"""Loading the model files of a built-in XGBoost endpoint, and predicting with them.

`model.tar.gz` holds `xgboost-model`: a pickled Booster (images 1.0-1 and 1.2-x) or XGBoost's
own format (1.3-1 and later). Like the container, every file is first tried as a pickle and then
with `Booster.load_model`; from 1.2-2 on every visible file is an ensemble member (averaged, or a
majority vote for labels). Load failures become one line a user can act on, because it ends up
as the endpoint's FailureReason: in particular a model in XGBoost's legacy binary format (what
1.3-1 to 1.7-1 wrote) cannot be read by the XGBoost this platform runs, and the message says how
to convert it.
"""

from __future__ import annotations

import json
import pickle
import re
import sys
import warnings
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from tsukuru.runtime.algorithms.xgboost_serving_predict import DensePredictor, xgboost_library
from tsukuru.runtime.serve import StartupError

Float32Array = np.ndarray[Any, np.dtype[np.float32]]
MODEL_FILE = "xgboost-model"
VOTING_OBJECTIVES = frozenset({"multi:softmax", "binary:hinge"})
_PICKLE_MAGIC = 0x80  # first byte of every pickle of protocol 2 or later
_XGBOOST_LOG_PREFIX = re.compile(r"^\[\d\d:\d\d:\d\d\] \S+:\d+: ")


class ModelLoadError(StartupError):
    """The model files cannot be served; `str()` is a one-line reason for the user."""


class ModelFormat(Enum):
    PICKLE = "pickle"
    NATIVE = "native"


def import_xgboost() -> ModuleType:
    """Import xgboost without the 1.5 s scikit-learn import it does for its sklearn wrappers.

    A built-in model server never uses those wrappers, and start-up time is how long an endpoint
    stays in Creating. If xgboost or scikit-learn is already imported (a test process, a user's
    script) nothing is changed, so nobody else ever sees an xgboost without its sklearn API.
    """
    if "xgboost" in sys.modules or "sklearn" in sys.modules:
        import xgboost

        return xgboost
    sys.modules["sklearn"] = None  # type: ignore[assignment]  # makes `import sklearn` fail
    try:
        import xgboost
    finally:
        del sys.modules["sklearn"]
    return xgboost


def _xgboost_reason(exc: BaseException) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return _XGBOOST_LOG_PREFIX.sub("", first)


@dataclass(frozen=True)
class LoadedModel:
    """The boosters of one endpoint and what the encoders need to know about them."""

    boosters: tuple[Any, ...]
    formats: tuple[ModelFormat, ...]
    iteration_ranges: tuple[tuple[int, int], ...]
    objective: str
    num_class: int
    num_features: int
    predictors: tuple[DensePredictor, ...]  # one per booster, with its iteration range

    @property
    def pickled(self) -> bool:
        """The container applies its feature-count rules when the first model was a pickle."""
        return self.formats[0] is ModelFormat.PICKLE

    def predict(self, features: Any) -> Float32Array:
        if len(self.predictors) == 1:
            return self.predictors[0].predict(features)
        outputs = [predictor.predict(features) for predictor in self.predictors]
        stacked = np.stack(outputs)
        if self.objective in VOTING_OBJECTIVES:
            return _majority_vote(stacked)
        mean: Float32Array = stacked.mean(axis=0, dtype=np.float64).astype(np.float32)
        return mean


def _majority_vote(stacked: Float32Array) -> Float32Array:
    """Per record the most frequent label of the ensemble; ties go to the smallest label."""
    counts = (stacked[:, None, ...] == stacked[None, :, ...]).sum(axis=1)
    best = counts.max(axis=0)
    candidates = np.where(counts == best, stacked, np.inf)
    vote: Float32Array = candidates.min(axis=0).astype(np.float32)
    return vote


def model_files(model_dir: Path, *, ensemble: bool) -> list[Path]:
    """The files to load: all visible ones for an ensemble, else `xgboost-model` (or the first)."""
    if not model_dir.is_dir():
        raise ModelLoadError(f"The model directory {model_dir} does not exist.")
    files = sorted(p for p in model_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ModelLoadError(
            f"model.tar.gz holds no model file: expected {MODEL_FILE} at the top level of the "
            "archive (hidden files and directories are ignored)."
        )
    if ensemble:
        return files
    preferred = [p for p in files if p.name == MODEL_FILE]
    return preferred or files[:1]


def load_booster(path: Path, xgb: ModuleType) -> tuple[Any, ModelFormat]:
    """One model file → (Booster, format), or a ModelLoadError naming the file and the cause."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"Model file {path.name} cannot be read: {exc}") from None
    if not data:
        raise ModelLoadError(f"Model file {path.name} is empty.")
    if data[0] == _PICKLE_MAGIC:
        return _unpickle_booster(path, data, xgb), ModelFormat.PICKLE
    if data.lstrip()[:1] != b"{":
        raise ModelLoadError(
            f"Model file {path.name} is neither a pickled Booster nor an XGBoost JSON/UBJSON "
            "model. If it was written by XGBoost 1.3-1.7 in the legacy binary format, load it "
            "with that XGBoost and save it again as JSON (booster.save_model('xgboost-model.json'),"
            " then rename it to xgboost-model)."
        )
    booster = xgb.Booster()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "unknown file extension, guessing UBJSON/JSON"
            booster.load_model(str(path))
    except Exception as exc:
        raise ModelLoadError(
            f"Model file {path.name} cannot be loaded as an XGBoost model: {_xgboost_reason(exc)}"
        ) from None
    return booster, ModelFormat.NATIVE


def _unpickle_booster(path: Path, data: bytes, xgb: ModuleType) -> Any:
    try:
        loaded = pickle.loads(data)
    except Exception as exc:
        raise ModelLoadError(
            f"Model file {path.name} cannot be unpickled as an XGBoost Booster: "
            f"{type(exc).__name__}: {_xgboost_reason(exc)}"
        ) from None
    if not isinstance(loaded, xgb.Booster) and hasattr(loaded, "get_booster"):
        loaded = loaded.get_booster()  # a pickled XGBClassifier / XGBRegressor
    if not isinstance(loaded, xgb.Booster):
        raise ModelLoadError(
            f"Model file {path.name} holds a pickled {type(loaded).__module__}."
            f"{type(loaded).__qualname__}, not an xgboost.Booster."
        )
    return loaded


def _iteration_range(booster: Any, fmt: ModelFormat) -> tuple[int, int]:
    """Pickles (1.0-1, 1.2-x) predicted with the early-stopping best iteration; others use all."""
    best = booster.attr("best_iteration")
    if fmt is ModelFormat.PICKLE and best is not None:
        return (0, int(best) + 1)
    return (0, 0)


def load_model(model_dir: Path, *, ensemble: bool) -> LoadedModel:
    xgb = import_xgboost()
    boosters: list[Any] = []
    formats: list[ModelFormat] = []
    for path in model_files(model_dir, ensemble=ensemble):
        booster, fmt = load_booster(path, xgb)
        booster.set_param("nthread", 1)  # as the container: one thread per worker process
        boosters.append(booster)
        formats.append(fmt)
    config = json.loads(boosters[0].save_config())
    learner = config["learner"]
    spans = tuple(map(_iteration_range, boosters, formats))
    library = xgboost_library(xgb)
    return LoadedModel(
        boosters=tuple(boosters),
        formats=tuple(formats),
        iteration_ranges=spans,
        objective=str(learner["objective"]["name"]),
        num_class=int(learner["learner_model_param"].get("num_class", "0")),
        num_features=int(boosters[0].num_features()),
        predictors=tuple(
            DensePredictor(booster, span, library)
            for booster, span in zip(boosters, spans, strict=True)
        ),
    )
