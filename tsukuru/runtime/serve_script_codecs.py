"""The framework containers' default request decoders and response encoders (JSON, CSV, NPY).

When a user's inference script leaves out `input_fn` or `output_fn`, SageMaker's framework
containers fall back to the inference toolkit's codecs: a JSON body becomes
`np.array(json.loads(body))`, CSV becomes a float matrix, `application/x-npy` is `np.load`ed
(and `application/x-npz` gives its first array); a prediction goes back as JSON
(`tolist()`), CSV rows or NPY bytes, for the first type in Accept the server can write.
JSON and CSV bodies reach the user's `input_fn` as text, other types as bytes, as in the toolkit.
An unsupported type is a 415 that says which hook to write.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import numpy as np

from tsukuru.runtime.serve import InvocationError

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
NPZ = "application/x-npz"
UTF8_TYPES = frozenset({JSON, CSV})


def media_type(header: str | None) -> str:
    """`Text/CSV; charset=utf-8` → `text/csv`."""
    return (header or "").split(";", 1)[0].strip().lower()


def as_text(data: str | bytes) -> str:
    return data if isinstance(data, str) else data.decode("utf-8")


def as_bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def unsupported(kind: str, value: str, hook: str) -> InvocationError:
    return InvocationError(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        f"{kind} {value!r} is not supported by the default {hook}: the defaults read and write "
        f"{JSON}, {CSV} and {NPY}. Define {hook} in your inference script to handle it.",
    )


# ----------------------------------------------------------------------------- decoding


def decode_json(data: str | bytes) -> Any:
    return np.array(json.loads(data))


def decode_csv(data: str | bytes) -> Any:
    rows = [line for line in as_text(data).splitlines() if line.strip()]
    try:
        return np.loadtxt(rows, delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise InvocationError(
            HTTPStatus.BAD_REQUEST, f"The CSV body is not numeric: {exc}"
        ) from None


def decode_npy(data: str | bytes) -> Any:
    return np.load(io.BytesIO(as_bytes(data)), allow_pickle=False)


def decode_npz(data: str | bytes) -> Any:
    with np.load(io.BytesIO(as_bytes(data)), allow_pickle=False) as archive:
        names = list(archive.files)
        if not names:
            raise InvocationError(HTTPStatus.BAD_REQUEST, "The NPZ body holds no array")
        return archive[names[0]]


DECODERS: dict[str, Callable[[str | bytes], Any]] = {
    JSON: decode_json,
    CSV: decode_csv,
    NPY: decode_npy,
    NPZ: decode_npz,
}


def decode(data: str | bytes, content_type: str | None) -> Any:
    """The request body as a numpy array, or a 415 for a type without a default decoder."""
    decoder = DECODERS.get(media_type(content_type))
    if decoder is None:
        raise unsupported("Content type", content_type or "", "input_fn")
    try:
        return decoder(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvocationError(
            HTTPStatus.BAD_REQUEST,
            f"The request body is not valid {media_type(content_type)}: {exc}",
        ) from None


# ----------------------------------------------------------------------------- encoding


def _plain(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else value


def encode_json(prediction: Any) -> bytes:
    def default(value: Any) -> Any:
        if hasattr(value, "tolist"):
            return value.tolist()
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    return json.dumps(_plain(prediction), default=default).encode("utf-8")


def encode_csv(prediction: Any) -> bytes:
    array = np.asarray(_plain(prediction))
    out = io.StringIO()
    np.savetxt(out, array if array.ndim else array.reshape(1), delimiter=",", fmt="%s")
    return out.getvalue().encode("utf-8")


def encode_npy(prediction: Any) -> bytes:
    out = io.BytesIO()
    np.save(out, np.asarray(_plain(prediction)), allow_pickle=False)
    return out.getvalue()


ENCODERS: dict[str, Callable[[Any], bytes]] = {JSON: encode_json, CSV: encode_csv, NPY: encode_npy}


def encode(prediction: Any, accept: str) -> tuple[bytes, str]:
    """The prediction in the first type of `accept` (a comma-separated list) with an encoder."""
    for candidate in accept.split(","):
        media = media_type(candidate)
        encoder = ENCODERS.get(media)
        if encoder is not None:
            return encoder(prediction), media
    raise unsupported("Accept", accept, "output_fn")
