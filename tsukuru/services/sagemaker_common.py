"""What every SageMaker handler module reads off a request the same way: the caller's scope,
epoch-second times, and the filters, order and page of a List* call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tsukuru.domain.paging import Listing
from tsukuru.domain.scope import Scope
from tsukuru.protocol.context import RequestContext


def scope_of(ctx: RequestContext) -> Scope:
    return Scope(ctx.account_id, ctx.region)


def to_datetime(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(float(value), UTC)


def listing_of(params: dict[str, Any]) -> Listing:
    """A List* request's wire parameters (the ones its operation has; the rest are None)."""
    return Listing(
        name_contains=params.get("NameContains"),
        status_equals=params.get("StatusEquals"),
        created_after=params.get("CreationTimeAfter"),
        created_before=params.get("CreationTimeBefore"),
        modified_after=params.get("LastModifiedTimeAfter"),
        modified_before=params.get("LastModifiedTimeBefore"),
        sort_by=params.get("SortBy", "CreationTime"),
        sort_order=params.get("SortOrder", "Descending"),
        max_results=params.get("MaxResults"),
        next_token=params.get("NextToken"),
    )
