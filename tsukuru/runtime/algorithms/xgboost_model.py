"""The `xgboost-model` artifact: written as the job's container version writes it, read back.

Containers up to 1.2-x (and the legacy `xgboost:1` image) pickle the Booster; from 1.3-1 they
call `Booster.save_model("xgboost-model")`, XGBoost's own format (UBJSON with the XGBoost this
platform ships, readable by `xgboost.Booster().load_model(path)`). Model servers and users load
either kind the way the container's server does: unpickle first, then XGBoost's loader. Only
load artifacts you trust: unpickling runs code, exactly as it does in SageMaker's container.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

from tsukuru.runtime.algorithms.xgboost_lib import xgb

MODEL_NAME = "xgboost-model"
PICKLE_PROTOCOL = 4


def model_bytes(booster: Any, *, pickled: bool) -> bytes:
    if pickled:
        return pickle.dumps(booster, protocol=PICKLE_PROTOCOL)
    return bytes(booster.save_raw(raw_format="ubj"))


def save_booster(booster: Any, path: Path, *, pickled: bool) -> None:
    """Write atomically, so a reader never sees half a model (even if the job is killed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        handle.write(model_bytes(booster, pickled=pickled))
    os.replace(temporary, path)


def booster_from_bytes(raw: bytes) -> Any:
    """A Booster from a pickled Booster or from XGBoost's JSON/UBJSON/binary model bytes."""
    try:
        loaded = pickle.loads(raw)
    except Exception:
        loaded = None
    if isinstance(loaded, xgb.Booster):
        return loaded
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    return booster


def load_booster(path: Path) -> Any:
    return booster_from_bytes(Path(path).read_bytes())
