"""Hypothesis strategies for valid operation inputs, generated from botocore's own input shapes.

The fuzzer must reach every operation's handler, not only its parser, so "valid" here means
what botocore's model allows: required members always, enums from the enum, strings matching
the member's pattern and length, numbers within their range. Names the platform already has
(a seeded bucket, model or log group) are offered for members of that name (`Hints`), so a
share of the examples get past "does not exist" and into the operation's real work.

Deep structures stay small: optional members are drawn only near the top of the input and
lists hold at most a couple of items, which keeps SageMaker's huge inputs cheap to generate.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from botocore.model import Shape
from hypothesis import strategies as st

Hints = Mapping[str, Sequence[str]]
"""Member name → values that exist on the platform (`{"Bucket": ["fuzz-bucket"]}`)."""

OPTIONAL_DEPTH = 2  # below this depth a structure gets its required members only
MAX_DEPTH = 6  # past this, recursion stops (nothing required goes this deep in practice)
MAX_ITEMS = 2
MAX_TEXT = 40
NAME_ALPHABET = string.ascii_letters + string.digits + "-_."
INT_RANGE = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
JSON_SCALARS = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=8)
DOCUMENTS = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=5), inner, max_size=2)
    ),
    max_leaves=4,
)


def valid_input(shape: Shape | None, hints: Hints) -> st.SearchStrategy[dict[str, Any]]:
    """Parameters for an operation whose input is `shape` (an empty dict when it has none)."""
    if shape is None:
        return st.just({})
    return _value(shape, 0, _freeze(hints), "")


def _freeze(hints: Hints) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((name, tuple(values)) for name, values in hints.items()))


def _value(shape: Shape, depth: int, hints: tuple[Any, ...], member: str) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, depth, hints)
    if kind == "list":
        low = int(shape.metadata.get("min", 0))
        return st.lists(
            _value(shape.member, depth + 1, hints, member),
            min_size=low,
            max_size=max(low, MAX_ITEMS),
        )
    if kind == "map":
        keys = _value(shape.key, depth + 1, hints, "")
        return st.dictionaries(keys, _value(shape.value, depth + 1, hints, ""), max_size=MAX_ITEMS)
    if kind == "string":
        return _string(shape, dict(hints).get(member, ()))
    if kind in INT_RANGE:
        low, high = INT_RANGE[kind]
        return st.integers(
            int(shape.metadata.get("min", low)), int(shape.metadata.get("max", high))
        )
    if kind in ("float", "double"):
        return st.floats(
            min_value=shape.metadata.get("min"),
            max_value=shape.metadata.get("max"),
            allow_nan=False,
            allow_infinity=False,
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes(datetime(1971, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))
    if kind == "blob":
        return st.binary(max_size=2048 if shape.serialization.get("streaming") else 64)
    raise AssertionError(f"unexpected shape type {kind}")


def _structure(shape: Shape, depth: int, hints: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    if shape.metadata.get("document"):
        return DOCUMENTS
    if depth > MAX_DEPTH:
        return st.just({})
    members = shape.members
    if shape.metadata.get("union"):
        return st.one_of(
            *(
                st.fixed_dictionaries({name: _value(member, depth + 1, hints, name)})
                for name, member in members.items()
            )
        )
    required = {
        name: _value(members[name], depth + 1, hints, name)
        for name in shape.required_members
        if name in members
    }
    optional: dict[str, st.SearchStrategy[Any]] = {}
    if depth < OPTIONAL_DEPTH:
        optional = {
            name: _value(member, depth + 1, hints, name)
            for name, member in members.items()
            if name not in required and not _is_status_code(member)
        }
    return st.fixed_dictionaries(required, optional=optional)


def _is_status_code(member: Shape) -> bool:
    return bool(member.serialization.get("location") == "statusCode")


def _string(shape: Shape, known: Sequence[str]) -> st.SearchStrategy[str]:
    generated = _generated_string(shape)
    if known:
        return st.one_of(st.sampled_from(list(known)), generated)
    return generated


def _generated_string(shape: Shape) -> st.SearchStrategy[str]:
    if shape.enum:
        return st.sampled_from(list(shape.enum))
    low = int(shape.metadata.get("min", 0))
    high = min(int(shape.metadata.get("max", MAX_TEXT)), max(low, MAX_TEXT))
    pattern = _compiled(shape.metadata.get("pattern", ""))
    if pattern is not None:
        return st.from_regex(pattern, fullmatch=True).filter(lambda s: low <= len(s) <= high)
    return st.text(NAME_ALPHABET, min_size=low, max_size=high)


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    """The member's pattern as Python reads it, ASCII-only; None when there is none or Python's
    `re` cannot read it (Java's `\\p{...}` classes)."""
    if not pattern or pattern in (".*", ".+", "^.*$"):
        return None
    try:
        return re.compile(pattern, re.ASCII)
    except re.error:
        return None
