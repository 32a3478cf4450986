"""One opaque NextToken scheme for every List*/Describe* call that pages.

Tokens carry an offset and a fingerprint of the filters they were issued for, so a token reused
with other filters is refused instead of silently skipping or repeating results.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from tsukuru.domain.errors import Invalid


def _fingerprint(filters: dict[str, Any]) -> str:
    text = json.dumps(filters, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def encode_token(offset: int, filters: dict[str, Any]) -> str:
    payload = json.dumps({"o": offset, "f": _fingerprint(filters)}).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_token(token: str | None, filters: dict[str, Any]) -> int:
    """The offset a token stands for (0 without a token); Invalid for a foreign or broken one."""
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = int(payload["o"])
        fingerprint = str(payload["f"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Invalid("Invalid pagination token: it was not issued by this operation") from exc
    if offset < 0 or fingerprint != _fingerprint(filters):
        raise Invalid("Invalid pagination token: it was issued for different filters")
    return offset


def page_limit(value: int | None, default: int = 100, maximum: int = 100) -> int:
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise Invalid(f"MaxResults must be between 1 and {maximum}, got {value}")
    return value
