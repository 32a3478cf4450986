"""Many predictions as text, exactly as Python's `str(float)` writes them, in one C pass.

The endpoint's CSV answer is each prediction's `repr` (the container writes Python floats), and
writing 1,000 of them through `str` costs ~0.5 ms, more than predicting them. Arrow's cast from
float64 to string produces the same shortest round-trip digits, but chooses between plain and
exponent notation by its own rule and drops the `.0` of whole numbers. Where that can matter
(non-finite values, whole numbers, magnitudes below 1e-4 or from 1e9 on: measured, Arrow and
Python agree on every non-integral double in between) the value is written by Python's `repr`
instead, so the bytes are always exactly those of the Python path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Below this many values the fixed cost of a few Arrow calls outweighs Python's `str`.
MIN_VALUES = 64
_EXACT_LOW = 1e-4  # Python writes 9.99e-05; Arrow 0.0000999
_EXACT_HIGH = 1e9  # Arrow moves to exponent notation from 1e10 on for long digit strings

NumberArray = np.ndarray[Any, np.dtype[Any]]


def float_strings(values: NumberArray) -> Any:
    """All values, flattened, as an Arrow string array of their Python `repr`s; None when most
    of them would need Python's `repr` anyway (class labels, whole-number regressions)."""
    doubles = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
    magnitude = np.abs(doubles)
    exact = (magnitude >= _EXACT_LOW) & (magnitude < _EXACT_HIGH) & (doubles != np.trunc(doubles))
    agreeing = int(np.count_nonzero(exact))
    strings = pc.cast(pa.array(doubles), pa.string()) if agreeing * 2 >= len(doubles) else None
    if strings is None or agreeing == len(doubles):
        return strings
    patched: list[str] = strings.to_pylist()
    for index in np.flatnonzero(~exact).tolist():
        patched[index] = repr(float(doubles[index]))
    return pa.array(patched, pa.string())


def _join(strings: Any, groups: int, separator: str) -> Any:
    """Join consecutive runs of `len(strings) // groups` strings with `separator`."""
    size = len(strings) // groups
    offsets = pa.array(np.arange(0, len(strings) + 1, size, dtype=np.int32))
    return pc.binary_join(pa.ListArray.from_arrays(offsets, strings), separator)


def joined_floats(values: NumberArray, field: str, line: str, end: str) -> bytes | None:
    """1-D: the values joined by `line`; 2-D: each row's values joined by `field`, the rows by
    `line`; then `end`. None where the Python path is the better one (few values, other shapes),
    so callers keep theirs for those."""
    if values.size < MIN_VALUES or values.ndim not in (1, 2) or values.dtype.kind != "f":
        return None
    strings = float_strings(values)
    if strings is None:
        return None
    if values.ndim == 2:
        strings = _join(strings, values.shape[0], field)
    text: bytes = _join(strings, 1, line)[0].as_buffer().to_pybytes()
    return text + end.encode() if end else text
