"""The values a careless or hostile client sends: huge strings, odd unicode, wrong JSON types.

Kept apart from the request builders so that both fuzz layers (in-process and over HTTP) and
the regression tests draw from the same pool of trouble.
"""

from __future__ import annotations

from typing import Any

from botocore.model import Shape
from hypothesis import strategies as st

ODD_PIECES = (
    "\x00",  # NUL
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200b",  # zero-width space
    "\ufeff",  # byte-order mark
    "\ud800",  # lone high surrogate (not encodable as UTF-8)
    "\udc80",  # lone low surrogate
    "\U0001f600",  # outside the BMP
    "e\u0301",  # combining accent
    "\uffff",  # noncharacter
    "\x7f",
    "\n",
    "\r\n",
    "\t",
    "../",
    "%00",
    "%",
    "'",
    '"',
    "<",
    "&amp;",
    "]]>",
    "\\",
    "İ",  # changes length when lower-cased
    "ß",  # changes length when upper-cased
    "\u0130\u0131",
    "\U0001d54f",  # mathematical double-struck X
)
odd_text = st.lists(
    st.sampled_from(ODD_PIECES) | st.characters(categories=["Cs", "Cc", "Cf", "Co", "Zl", "Zp"]),
    min_size=1,
    max_size=8,
).map("".join)
huge_text = st.builds(
    lambda piece, count: piece * count,
    st.sampled_from(("x", "é", "\U0001f600", "a/", "%")),
    st.integers(1_000, 200_000),
)
nasty_text = st.one_of(odd_text, huge_text, st.text(max_size=20), st.just(""))
"""Strings a client should never send, or sends by mistake."""

odd_numbers = st.sampled_from(
    (-1, 0, 2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**30, 1.5, -0.0, 1e308)
)
"""Numbers outside every sensible range (still the right JSON type for a number)."""

_not_a_number = st.sampled_from(("abc", "1,5", "one", "0x10", "--1"))
_wrong_for = {
    "structure": st.integers() | st.text(max_size=5) | st.lists(st.integers(), max_size=2),
    "map": st.integers() | st.text(max_size=5) | st.lists(st.integers(), max_size=2),
    "list": st.integers()
    | st.text(max_size=5)
    | st.dictionaries(st.text(max_size=3), st.integers()),
    "string": st.integers()
    | st.booleans()
    | st.lists(st.text(max_size=3), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    "integer": _not_a_number | st.booleans() | st.sampled_from((0.5, -2.25)) | st.just([1]),
    "float": _not_a_number | st.booleans() | st.just([1.5]) | st.just({"a": 1}),
    "boolean": st.sampled_from(("true", "yes", "1", "")) | st.integers() | st.just([True]),
    "timestamp": st.sampled_from(("not a time", "2024-13-45", "")) | st.just([1]) | st.just({}),
    "blob": st.integers() | st.booleans() | st.just([1, 2]) | st.just({"a": "b"}),
}


def wrong_json_type(shape: Shape) -> st.SearchStrategy[Any] | None:
    """A JSON value that the member of `shape` can never accept (None where anything goes:
    documents and JSON-valued strings)."""
    kind = shape.type_name
    if shape.metadata.get("document") or shape.serialization.get("jsonvalue"):
        return None
    if kind in ("long", "integer"):
        kind = "integer"
    elif kind in ("double", "float"):
        kind = "float"
    return _wrong_for.get(kind)


def wrong_text(shape: Shape) -> st.SearchStrategy[str]:
    """Text that does not parse as the scalar `shape` (for headers, query strings and XML)."""
    kind = shape.type_name
    if kind in ("integer", "long", "float", "double"):
        return _not_a_number | st.sampled_from(("99999999999999999999999", "-1", "1e400", "NaN"))
    if kind == "boolean":
        return st.sampled_from(("yes", "TRUE1", "", "0"))
    if kind == "timestamp":
        return st.sampled_from(("yesterday", "2024-02-30T00:00:00Z", "", "9" * 30))
    return nasty_text
