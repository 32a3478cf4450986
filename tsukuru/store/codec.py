"""How values are encoded so that every store orders and compares them the same way.

Both the in-memory and the SQL stores use these helpers, so the contract suite can hold them to
one behaviour: timestamps become integer microseconds since the epoch (exact, sortable and
identical on SQLite and PostgreSQL), and a key prefix becomes a half-open range `[prefix,
upper)` that an index can answer without LIKE (whose `%` and `_` would be wildcards).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime; naive datetimes are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the store keeps aware UTC datetimes")
    return (moment - _EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    """The aware UTC datetime for microseconds since the epoch (inverse of `to_micros`)."""
    return _EPOCH + timedelta(microseconds=micros)


def to_utc(moment: datetime) -> datetime:
    """The same instant as an aware UTC datetime, as every store hands it back."""
    return from_micros(to_micros(moment))


def from_millis(millis: int) -> datetime:
    """The aware UTC datetime for milliseconds since the epoch (log event timestamps)."""
    return _EPOCH + timedelta(milliseconds=millis)


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with `prefix`, or None.

    UTF-8 byte order equals code point order, so incrementing the last code point (skipping
    the surrogate block, which UTF-8 cannot encode) bounds the prefix range in both orders. A
    prefix made only of U+10FFFF (or the empty prefix) has no upper bound.
    """
    chars = list(prefix)
    while chars:
        last = ord(chars.pop())
        if last == _MAX_CODE_POINT:
            continue
        following = last + 1
        if following in _SURROGATES:
            following = _SURROGATES.stop
        return "".join(chars) + chr(following)
    return None


def utf8_size(text: str) -> int:
    """Bytes `text` takes in UTF-8 (what log storage and S3 limits count)."""
    return len(text.encode("utf-8"))


def json_copy(doc: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON document exactly as a database round trip would hand it back.

    Going through JSON text refuses what a database column would refuse (datetimes, sets) and
    turns tuples into lists, so the in-memory store cannot accept what the SQL store rejects.
    """
    copied = json.loads(json.dumps(doc, allow_nan=False))
    if not isinstance(copied, dict):
        raise TypeError("a document must be a JSON object")
    return copied


def ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, as SQLite's and PostgreSQL's (C collation) lower() do."""
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
