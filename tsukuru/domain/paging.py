"""One opaque NextToken scheme for every List*/Describe* call that pages.

Tokens carry an offset and a fingerprint of the filters they were issued for, so a token reused
with other filters is refused instead of silently skipping or repeating results.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tsukuru.domain.errors import Invalid
from tsukuru.domain.ports import ListQuery, Record, ResourceStore
from tsukuru.domain.scope import Scope


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


@dataclass(frozen=True)
class Listing:
    """One List* request's filters and order, as the wire gave them."""

    name_contains: str | None = None
    status_equals: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None
    sort_by: str = "CreationTime"
    sort_order: str = "Descending"
    max_results: int | None = None
    next_token: str | None = None

    def fingerprint(self, kind: str, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "k": kind,
            "n": self.name_contains,
            "t": self.status_equals,
            "a": self.created_after,
            "b": self.created_before,
            "ma": self.modified_after,
            "mb": self.modified_before,
            "s": self.sort_by,
            "o": self.sort_order,
            **extra,
        }

    def store_query(self, offset: int, limit: int) -> ListQuery:
        """These filters and this order as the store's query for `limit` rows from `offset`
        (the sort key is the caller's to have checked)."""
        return ListQuery(
            name_contains=self.name_contains,
            status_equals=self.status_equals,
            created_after=self.created_after,
            created_before=self.created_before,
            modified_after=self.modified_after,
            modified_before=self.modified_before,
            sort_by=self.sort_by,  # type: ignore[arg-type]
            descending=self.sort_order != "Ascending",
            offset=offset,
            limit=limit,
        )


def find_page(
    store: ResourceStore, kind: str, scope: Scope, listing: Listing
) -> tuple[list[Record], str | None]:
    """One page of a List* call whose filters the store indexes: SageMaker's filters, sort and
    NextToken over the store."""
    if listing.sort_by not in ("Name", "CreationTime", "Status"):
        raise Invalid(f"SortBy must be Name, CreationTime or Status, got {listing.sort_by}")
    filters = listing.fingerprint(kind, {})  # a token of one List call is refused by another
    limit = page_limit(listing.max_results)
    offset = decode_token(listing.next_token, filters)
    query = listing.store_query(offset, limit + 1)
    records = store.find(kind, scope, query)
    token = encode_token(offset + limit, filters) if len(records) > limit else None
    return records[:limit], token
