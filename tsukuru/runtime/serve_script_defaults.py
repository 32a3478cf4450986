"""Each framework container's default inference hooks, used for whatever the script leaves out.

* scikit-learn: no default `model_fn` (the container cannot guess how the model was saved);
  `input_fn` decodes JSON/CSV/NPY (JSON and CSV as float32), `predict_fn` is `model.predict`.
* XGBoost: `model_fn` loads `xgboost-model` (native or pickled Booster, as the built-in
  algorithm does), `input_fn` also reads libsvm and the SageMaker JSON shapes, `predict_fn`
  predicts on a DMatrix (or calls `predict` on a scikit-learn style model).
* PyTorch: `model_fn` loads TorchScript `model.pt`, inputs become float tensors and the model is
  called under `torch.no_grad()`; tensors go back as lists.
* TensorFlow: `model_fn` loads a SavedModel (`model_dir` or its highest numbered version folder)
  or a `.keras` file; JSON may be TensorFlow Serving's `{"instances": [...]}` and the answer is
  `{"predictions": [...]}`, as TensorFlow Serving's REST API answers.

Frameworks are imported only when their hooks run, so a scikit-learn endpoint never imports torch.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tsukuru.runtime.serve import StartupError
from tsukuru.runtime.serve_script_codecs import CSV, JSON, UTF8_TYPES, decode, encode, media_type


def _module(name: str) -> Any:
    """A framework imported when its hooks first run (optional, untyped packages)."""
    return importlib.import_module(name)


@dataclass(frozen=True)
class Hooks:
    """The four functions of the inference contract."""

    model_fn: Callable[[str], Any]
    input_fn: Callable[[Any, str], Any]
    predict_fn: Callable[[Any, Any], Any]
    output_fn: Callable[[Any, str], Any]


def default_output(prediction: Any, accept: str) -> tuple[bytes, str]:
    return encode(prediction, accept)


# ----------------------------------------------------------------------------- scikit-learn


def sklearn_model_fn(model_dir: str) -> Any:
    raise StartupError(
        "The scikit-learn container has no default model_fn: define model_fn(model_dir) in "
        "your inference script to load the model your training script saved (for example "
        "`return joblib.load(os.path.join(model_dir, 'model.joblib'))`)."
    )


def sklearn_input_fn(data: Any, content_type: str) -> Any:
    array = decode(data, content_type)
    return array.astype(np.float32) if media_type(content_type) in UTF8_TYPES else array


def call_predict(data: Any, model: Any) -> Any:
    return model.predict(data)


SKLEARN = Hooks(sklearn_model_fn, sklearn_input_fn, call_predict, default_output)


# ----------------------------------------------------------------------------- XGBoost


def xgboost_model_fn(model_dir: str) -> Any:
    from tsukuru.runtime.algorithms.xgboost_serving_model import (
        import_xgboost,
        load_booster,
        model_files,
    )

    booster, _ = load_booster(model_files(Path(model_dir), ensemble=False)[0], import_xgboost())
    return booster


XGBOOST_TEXT_TYPES = frozenset(
    {JSON, CSV, "text/libsvm", "text/x-libsvm", "application/jsonlines", "application/jsonl"}
)


def xgboost_input_fn(data: Any, content_type: str) -> Any:
    from tsukuru.runtime.algorithms.xgboost_serving_decode import decode as decode_xgboost
    from tsukuru.runtime.algorithms.xgboost_serving_decode import request_format

    if media_type(content_type) in XGBOOST_TEXT_TYPES:
        body = data.encode("utf-8") if isinstance(data, str) else data
        return decode_xgboost(body, request_format(content_type), one_based_libsvm=False)
    return decode(data, content_type)


def xgboost_predict_fn(data: Any, model: Any) -> Any:
    import xgboost

    if isinstance(model, xgboost.Booster):
        matrix = data if isinstance(data, xgboost.DMatrix) else xgboost.DMatrix(data)
        return model.predict(matrix, validate_features=False)
    return model.predict(data)


XGBOOST = Hooks(xgboost_model_fn, xgboost_input_fn, xgboost_predict_fn, default_output)


# ----------------------------------------------------------------------------- PyTorch

TORCHSCRIPT_FILE = "model.pt"


def pytorch_model_fn(model_dir: str) -> Any:
    torch = _module("torch")

    path = os.path.join(model_dir, TORCHSCRIPT_FILE)
    if not os.path.isfile(path):
        raise StartupError(
            f"Failed to load the model with the default model_fn: missing file {path}. Save a "
            "TorchScript model as model.pt, or define model_fn(model_dir) in your script."
        )
    model = torch.jit.load(path, map_location=_torch_device())
    model.eval()
    return model


def _torch_device() -> Any:
    torch = _module("torch")

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def pytorch_input_fn(data: Any, content_type: str) -> Any:
    torch = _module("torch")

    array = decode(data, content_type)
    if media_type(content_type) in UTF8_TYPES:
        return torch.FloatTensor(array).to(_torch_device())
    return torch.from_numpy(array).to(_torch_device())


def pytorch_predict_fn(data: Any, model: Any) -> Any:
    torch = _module("torch")

    with torch.no_grad():
        device = _torch_device()
        model = model.to(device)
        model.eval()
        return model(data.to(device))


def pytorch_output_fn(prediction: Any, accept: str) -> tuple[bytes, str]:
    torch = _module("torch")

    if isinstance(prediction, torch.Tensor):
        prediction = prediction.detach().cpu().numpy().tolist()
    return encode(prediction, accept)


PYTORCH = Hooks(pytorch_model_fn, pytorch_input_fn, pytorch_predict_fn, pytorch_output_fn)


# ----------------------------------------------------------------------------- TensorFlow


def tensorflow_model_fn(model_dir: str) -> Any:
    tf = _module("tensorflow")

    root = Path(model_dir)
    if (root / "saved_model.pb").is_file():
        return tf.saved_model.load(str(root))
    versions = sorted(
        (p for p in root.iterdir() if p.name.isdigit() and (p / "saved_model.pb").is_file()),
        key=lambda p: int(p.name),
    )
    if versions:
        return tf.saved_model.load(str(versions[-1]))
    keras_files = sorted(root.glob("*.keras")) + sorted(root.glob("*.h5"))
    if keras_files:
        return tf.keras.models.load_model(str(keras_files[0]))
    raise StartupError(
        f"Failed to load the model with the default model_fn: no SavedModel (saved_model.pb) "
        f"or .keras file in {model_dir}. Define model_fn(model_dir) in your script."
    )


def tensorflow_input_fn(data: Any, content_type: str) -> Any:
    if media_type(content_type) == JSON:
        document = json.loads(data)
        if isinstance(document, dict):
            for key in ("instances", "inputs"):
                if key in document:
                    return np.asarray(document[key], dtype=np.float32)
        return np.asarray(document, dtype=np.float32)
    return decode(data, content_type)


def tensorflow_predict_fn(data: Any, model: Any) -> Any:
    if hasattr(model, "predict"):
        return model.predict(data, verbose=0)
    tf = _module("tensorflow")

    outputs = model.signatures["serving_default"](tf.constant(data))
    values = list(outputs.values())
    return values[0] if len(values) == 1 else dict(outputs.items())


def tensorflow_output_fn(prediction: Any, accept: str) -> tuple[bytes, str]:
    def plain(value: Any) -> Any:
        return value.numpy().tolist() if hasattr(value, "numpy") else value

    if isinstance(prediction, dict):
        prediction = {key: np.asarray(plain(value)).tolist() for key, value in prediction.items()}
    else:
        prediction = np.asarray(plain(prediction)).tolist()
    if media_type(accept.split(",", 1)[0]) == JSON:
        return json.dumps({"predictions": prediction}).encode("utf-8"), JSON
    return encode(prediction, accept)


TENSORFLOW = Hooks(
    tensorflow_model_fn, tensorflow_input_fn, tensorflow_predict_fn, tensorflow_output_fn
)

DEFAULT_HOOKS = {
    "sklearn": SKLEARN,
    "xgboost": XGBOOST,
    "pytorch": PYTORCH,
    "tensorflow": TENSORFLOW,
}
