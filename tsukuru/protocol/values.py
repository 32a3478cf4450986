"""Scalar conversions shared by every protocol: text ⇄ int, bool, float, timestamp, blob.

AWS writes the same scalar differently by protocol and location (a timestamp is epoch seconds in
a JSON body, ISO 8601 in XML and query strings, RFC 822 in headers, unless the shape's
`timestampFormat` says otherwise). These helpers hold those rules in one place; they raise
`ValueError` for bad input and leave the wire error to the caller, which knows the protocol.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

ISO8601 = "iso8601"
RFC822 = "rfc822"
EPOCH = "unixTimestamp"

_INTEGER_TYPES = frozenset({"integer", "long", "short", "byte"})
_FLOAT_TYPES = frozenset({"float", "double"})
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_SPECIAL_FLOATS = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}


def default_timestamp_format(protocol: str, location: str | None) -> str:
    """The format a timestamp takes when its shape has no `timestampFormat` trait."""
    if location == "header":
        return RFC822
    if location == "querystring":
        return ISO8601
    return EPOCH if protocol in ("json", "rest-json") else ISO8601


def is_integer_type(type_name: str) -> bool:
    return type_name in _INTEGER_TYPES


def is_float_type(type_name: str) -> bool:
    return type_name in _FLOAT_TYPES


# --------------------------------------------------------------------------- text → value


def parse_scalar_text(type_name: str, text: str, timestamp_format: str) -> Any:
    """Convert header, query-string or XML text to the Python value of a scalar shape."""
    if type_name == "string":
        return text
    if type_name in _INTEGER_TYPES:
        return parse_int(text)
    if type_name in _FLOAT_TYPES:
        return parse_float(text)
    if type_name == "boolean":
        return parse_bool(text)
    if type_name == "timestamp":
        return parse_timestamp(text, timestamp_format)
    if type_name == "blob":
        return decode_base64(text)
    raise ValueError(f"not a scalar shape type: {type_name}")


def parse_int(text: str) -> int:
    stripped = text.strip()
    if not _INTEGER_TEXT.fullmatch(stripped):
        raise ValueError(f"not an integer: {text!r}")
    return int(stripped)


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError(f"not a boolean: {text!r}")


def parse_float(text: str) -> float:
    stripped = text.strip()
    if stripped in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[stripped]
    return float(stripped)


def parse_timestamp(value: str | float, preferred: str = ISO8601) -> datetime:
    """A timezone-aware UTC datetime from epoch seconds, ISO 8601 or RFC 822 text.

    The preferred format is tried first; the others are accepted too, because clients differ
    (the AWS CLI sends ISO strings in JSON bodies where boto3 sends numbers).
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):  # a JSON list or object where a timestamp belongs
        raise ValueError(f"not a timestamp: {type(value).__name__}")
    text = value.strip()
    order = [preferred] + [f for f in (EPOCH, ISO8601, RFC822) if f != preferred]
    for fmt in order:
        parsed = _try_parse_timestamp(text, fmt)
        if parsed is not None:
            return parsed
    raise ValueError(f"not a timestamp: {value!r}")


def _try_parse_timestamp(text: str, fmt: str) -> datetime | None:
    try:
        if fmt == EPOCH:
            return _from_epoch(float(text))
        if fmt == RFC822:
            return _aware(parsedate_to_datetime(text))
        return _aware(datetime.fromisoformat(text))
    except (ValueError, TypeError, OverflowError, OSError):
        return None


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds):
        raise ValueError("timestamp must be finite")
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError) as exc:  # beyond what the platform's C library can represent
        raise ValueError(f"timestamp out of range: {seconds}") from exc


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def decode_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not valid base64: {exc}") from exc


# --------------------------------------------------------------------------- value → text


def as_datetime(value: Any) -> datetime:
    """Accept what handlers naturally hold for a timestamp: datetime, epoch number, ISO text."""
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, int | float | str):
        return parse_timestamp(value)
    raise TypeError(f"cannot use {type(value).__name__} as a timestamp")


def format_timestamp(value: Any, fmt: str) -> str | float:
    """Text for ISO 8601 / RFC 822 formats, a number (epoch seconds) for `unixTimestamp`."""
    moment = as_datetime(value)
    if fmt == EPOCH:
        seconds = moment.timestamp()
        return int(seconds) if seconds.is_integer() else seconds
    if fmt == RFC822:
        return format_datetime(moment, usegmt=True)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_float(value: Any) -> str | float:
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def encode_base64(value: Any) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode("ascii")


def scalar_text(type_name: str, value: Any, timestamp_format: str) -> str:
    """Text for a scalar in a header, query string or XML element."""
    if type_name == "boolean":
        return "true" if value else "false"
    if type_name in _INTEGER_TYPES:
        return str(int(value))
    if type_name in _FLOAT_TYPES:
        return str(format_float(value))
    if type_name == "timestamp":
        return str(format_timestamp(value, timestamp_format))
    if type_name == "blob":
        return encode_base64(value)
    return str(value)
