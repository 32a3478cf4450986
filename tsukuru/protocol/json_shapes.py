"""Walking a botocore shape over JSON values, in both directions.

Used for the `json` protocol's bodies (SageMaker, CloudWatch Logs) and for `rest-json` bodies
and modeled error members (the runtime's ModelError). Input values are checked against the
shape as they are converted, so a handler only ever sees well-typed parameters; unknown members
are ignored, as AWS does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from botocore.model import Shape

from tsukuru.protocol import values
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.problems import InputProblems, member_path

_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def load_json(data: bytes) -> Any:
    """`json.loads` of a UTF-8 document, refusing (with ValueError) what it would let through
    but nothing downstream can handle: nesting deep enough to exhaust Python's recursion limit,
    and lone UTF-16 surrogates, raw or escaped (`"\\ud800"`), which no UTF-8 store or response
    can hold. (`json.loads` of bytes decodes with `surrogatepass`; hence the strict decode.)"""
    text = data.decode("utf-8-sig")  # UnicodeDecodeError is a ValueError
    try:
        document = json.loads(text)
    except RecursionError as exc:
        raise ValueError("the JSON document is nested too deeply") from exc
    if _ESCAPED_SURROGATE.search(text):  # rare: only then is the slower check worth it
        try:
            json.dumps(document, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError) as exc:
            raise ValueError("a JSON string holds a lone UTF-16 surrogate") from exc
    return document


def decode_json_object(body: bytes) -> dict[str, Any]:
    """A request body that must be one JSON object; SerializationException otherwise."""
    try:
        document = load_json(body)
    except ValueError as exc:
        raise ServiceError("SerializationException", f"Body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ServiceError("SerializationException", "Request body must be a JSON object")
    return document


def wire_name(member: Shape, member_name: str) -> str:
    """The key or element name a member is written under (its `locationName`, else its name)."""
    name = member.serialization.get("name", member_name)
    return str(name)


# --------------------------------------------------------------------------- JSON → params


def params_from_json(shape: Shape, value: Any, problems: InputProblems, path: str = "") -> Any:
    """Convert a decoded JSON value to parameters of `shape`; problems are recorded, not raised.

    Returns None for a member that could not be converted (the caller drops it).
    """
    type_name = shape.type_name
    if type_name == "structure":
        if shape.metadata.get("document"):
            return value
        return _structure_from_json(shape, value, problems, path)
    if type_name == "list":
        if not isinstance(value, list):
            problems.wrong(path, value, "a list")
            return None
        items = [params_from_json(shape.member, item, problems, f"{path}.member") for item in value]
        return [item for item in items if item is not None]
    if type_name == "map":
        if not isinstance(value, dict):
            problems.wrong(path, value, "a map")
            return None
        converted: dict[str, Any] = {}
        for key, item in value.items():
            parsed = params_from_json(shape.value, item, problems, f"{path}.{key}")
            if parsed is not None:
                converted[key] = parsed
        return converted
    return _scalar_from_json(shape, value, problems, path)


def _structure_from_json(
    shape: Shape, value: Any, problems: InputProblems, path: str
) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        problems.wrong(path, value, "a structure (JSON object)")
        return None
    params: dict[str, Any] = {}
    required = set(shape.required_members)
    for name, member in shape.members.items():
        raw = value.get(wire_name(member, name))
        if raw is None:
            if name in required:
                problems.missing(member_path(path, name))
            continue
        parsed = params_from_json(member, raw, problems, member_path(path, name))
        if parsed is not None:
            params[name] = parsed
    return params


def _scalar_from_json(shape: Shape, value: Any, problems: InputProblems, path: str) -> Any:
    type_name = shape.type_name
    if type_name == "string":
        if isinstance(value, str):
            return value
        if shape.serialization.get("jsonvalue"):
            return value
        problems.wrong(path, value, "a string")
        return None
    if type_name == "boolean":
        if isinstance(value, bool):
            return value
        problems.wrong(path, value, "a boolean")
        return None
    if values.is_integer_type(type_name):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        problems.wrong(path, value, "an integer")
        return None
    if values.is_float_type(type_name):
        return _float_from_json(value, problems, path)
    if type_name == "timestamp":
        try:
            return values.parse_timestamp(value, _timestamp_format(shape, "json"))
        except (ValueError, TypeError, OverflowError):
            problems.wrong(path, value, "a timestamp (epoch seconds or ISO 8601)")
            return None
    if type_name == "blob":
        if isinstance(value, str):
            try:
                return values.decode_base64(value)
            except ValueError:
                pass
        problems.wrong(path, value, "base64-encoded binary data")
        return None
    return value


def _float_from_json(value: Any, problems: InputProblems, path: str) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return values.parse_float(value)
        except ValueError:
            pass
    problems.wrong(path, value, "a number")
    return None


def _timestamp_format(shape: Shape, protocol: str) -> str:
    fmt = shape.serialization.get("timestampFormat")
    return str(fmt) if fmt else values.default_timestamp_format(protocol, None)


# --------------------------------------------------------------------------- params → JSON


def params_to_json(shape: Shape, value: Any) -> Any:
    """Convert a handler's output value of `shape` to a JSON-serializable value.

    Keys that the shape does not define and None values are dropped, so a handler may return a
    richer internal document than the operation's output.
    """
    return _json_writer(shape)(value)


JsonWriter = Callable[[Any], Any]


@lru_cache(maxsize=8192)  # shapes are cached by their (cached) service models
def _json_writer(shape: Shape) -> JsonWriter:
    """The converter for one shape, decided once: a Describe answer walks ~270 values, and
    re-reading each shape's type and serialization settings per value cost more than the
    values themselves (polling clients ask ten times a second)."""
    type_name = shape.type_name
    if type_name == "structure":
        return _same if shape.metadata.get("document") else _structure_writer(shape)
    if type_name == "list":
        member = shape.member

        def write_list(value: Any) -> list[Any]:
            convert = _json_writer(member)  # looked up per list, not per item
            return [convert(item) for item in value]

        return write_list
    if type_name == "map":
        entry = shape.value

        def write_map(value: Any) -> dict[str, Any]:
            convert = _json_writer(entry)
            return {str(k): convert(v) for k, v in value.items() if v is not None}

        return write_map
    if type_name == "timestamp":
        fmt = _timestamp_format(shape, "json")
        return lambda value: values.format_timestamp(value, fmt)
    if type_name == "blob":
        return values.encode_base64
    if type_name == "boolean":
        return bool
    if values.is_integer_type(type_name):
        return int
    if values.is_float_type(type_name):
        return values.format_float
    if type_name == "string" and shape.serialization.get("jsonvalue"):
        return _same
    return _text


def _structure_writer(shape: Shape) -> JsonWriter:
    # Members are looked up on first use, not here: a shape may contain itself.
    fields: tuple[tuple[str, str, JsonWriter], ...] | None = None

    def write(value: Any) -> dict[str, Any]:
        nonlocal fields
        if not isinstance(value, Mapping):
            raise TypeError(f"{shape.name} must be a mapping, got {type(value).__name__}")
        if fields is None:
            fields = tuple(
                (name, wire_name(member, name), _json_writer(member))
                for name, member in shape.members.items()
                if member.serialization.get("location") is None
            )
        out: dict[str, Any] = {}
        get = value.get
        for name, wire, convert in fields:
            item = get(name)
            if item is not None:
                out[wire] = convert(item)
        return out

    return write


def _same(value: Any) -> Any:
    return value


def _text(value: Any) -> str:
    return value if type(value) is str else str(value)
