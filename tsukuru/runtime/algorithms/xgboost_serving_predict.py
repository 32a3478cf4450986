"""Dense predictions straight through XGBoost's C API, without `Booster.inplace_predict`'s wrapper.

For a one-row request the wrapper is most of the model server's work: it inspects the input
against a dozen data types, JSON-encodes the call's configuration and the array's interface,
and builds the result through numpy's array-interface protocol — about 0.15 ms of Python per
call, where the trees themselves take a few microseconds. A model server predicts the same
way on every request, so `DensePredictor` encodes the configuration once and calls
`XGBoosterPredictFromDense` (the very function the wrapper ends in, with the same arguments)
for the C-contiguous float64 matrices the decoders produce. Anything else (a sparse libsvm
matrix, another dtype) and any XGBoost build whose library cannot be reached this way go
through `inplace_predict`, so the answer is the same either way; only the cost differs.
"""

from __future__ import annotations

import ctypes
import json
import math
from types import ModuleType
from typing import Any

import numpy as np

Float32Array = np.ndarray[Any, np.dtype[np.float32]]
_UINT64_POINTER = ctypes.POINTER(ctypes.c_uint64)
_FLOAT_POINTER = ctypes.POINTER(ctypes.c_float)
# int XGBoosterPredictFromDense(BoosterHandle, char const *values, char const *config,
#     DMatrixHandle proxy, bst_ulong const **out_shape, bst_ulong *out_dim, float const **out)
_PREDICT_FROM_DENSE = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.c_void_p,
    ctypes.c_char_p,
    ctypes.c_char_p,
    ctypes.c_void_p,
    ctypes.POINTER(_UINT64_POINTER),
    ctypes.POINTER(ctypes.c_uint64),
    ctypes.POINTER(_FLOAT_POINTER),
)
_GET_LAST_ERROR = ctypes.CFUNCTYPE(ctypes.c_char_p)
# numpy's __array_interface__ of a writable, C-contiguous float64 matrix, as JSON
_INTERFACE = (
    b'{"data": [%d, false], "shape": [%d, %d], "strides": null, "typestr": "<f8", "version": 3}'
)


class PredictionError(Exception):
    """XGBoost refused the input; `str()` is XGBoost's own message, as the wrapper raises it."""


class _XGBoostLibrary:
    """The two C functions this module calls, taken from the library xgboost itself loaded (a
    booster handle is only valid there) and given prototypes of our own, so xgboost's
    function objects are left exactly as xgboost set them up."""

    def __init__(self, loaded: ctypes.CDLL) -> None:
        self.predict_from_dense = _PREDICT_FROM_DENSE(_address(loaded.XGBoosterPredictFromDense))
        self.get_last_error = _GET_LAST_ERROR(_address(loaded.XGBGetLastError))


def _address(function: Any) -> int:
    address = ctypes.cast(function, ctypes.c_void_p).value
    if not address:
        raise OSError("null function pointer")
    return int(address)


def xgboost_library(xgb: ModuleType) -> _XGBoostLibrary | None:
    """The C functions of the loaded xgboost, or None where they cannot be reached."""
    loaded = getattr(getattr(xgb, "core", None), "_LIB", None)
    if loaded is None:
        return None
    try:
        return _XGBoostLibrary(loaded)
    except (AttributeError, OSError, TypeError):
        return None


class DensePredictor:
    """`booster.inplace_predict(features, iteration_range=..., missing=nan,
    validate_features=False)` for one booster, cheaper for dense float64 input."""

    def __init__(
        self, booster: Any, iteration_range: tuple[int, int], library: _XGBoostLibrary | None
    ) -> None:
        self._booster = booster  # keeps the handle alive
        self._iteration_range = iteration_range
        self._library = library
        self._config = json.dumps(
            {
                "type": 0,
                "training": False,
                "iteration_begin": int(iteration_range[0]),
                "iteration_end": int(iteration_range[1]),
                "missing": math.nan,
                "strict_shape": False,
                "cache_id": 0,
            }
        ).encode()

    def predict(self, features: Any) -> Float32Array:
        library = self._library
        if (
            library is None
            or type(features) is not np.ndarray
            or features.dtype != np.float64
            or features.ndim != 2
            or not features.flags.c_contiguous
        ):
            predictions: Float32Array = self._booster.inplace_predict(
                features,
                iteration_range=self._iteration_range,
                missing=np.nan,
                validate_features=False,
            )
            return predictions
        rows, columns = features.shape
        interface = _INTERFACE % (features.ctypes.data, rows, columns)
        shape = _UINT64_POINTER()
        dims = ctypes.c_uint64()
        values = _FLOAT_POINTER()
        status = library.predict_from_dense(
            self._booster.handle.value,
            interface,
            self._config,
            None,
            ctypes.byref(shape),
            ctypes.byref(dims),
            ctypes.byref(values),
        )
        if status != 0:
            message = library.get_last_error() or b"XGBoost prediction failed"
            raise PredictionError(message.decode("utf-8", errors="replace"))
        out_shape = tuple(int(shape[i]) for i in range(dims.value))
        output: Float32Array = np.empty(out_shape, dtype=np.float32)
        if output.size:
            ctypes.memmove(output.ctypes.data, values, output.nbytes)  # XGBoost reuses its buffer
        return output
