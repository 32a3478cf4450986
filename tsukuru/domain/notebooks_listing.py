"""ListNotebookInstances / ListNotebookInstanceLifecycleConfigs: filter, sort, page.

Some of their filters (lifecycle config name contains, code repository) are not columns the
store indexes, and a scope holds a handful of notebooks, so the records the store's filters let
through are read whole, filtered further and sorted here, then cut into pages with the shared
token scheme.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from tsukuru.domain.errors import Invalid
from tsukuru.domain.paging import Listing, decode_token, encode_token, page_limit
from tsukuru.domain.ports import Record, ResourceStore
from tsukuru.domain.scope import Scope

_BATCH = 500


_SORT_KEYS: dict[str, Callable[[Record], Any]] = {
    "Name": lambda record: record.name,
    "CreationTime": lambda record: record.created,
    "LastModifiedTime": lambda record: record.modified,
    "Status": lambda record: record.status or "",
}


def all_records(
    store: ResourceStore, kind: str, scope: Scope, listing: Listing | None = None
) -> Iterator[Record]:
    """Every record of the scope that the listing's filters let through, oldest first, read
    from the store a batch at a time."""
    filters = (listing or Listing()).store_query(0, _BATCH)
    query = replace(filters, sort_by="CreationTime", descending=False)
    while True:
        page = store.find(kind, scope, query)
        yield from page
        if len(page) < _BATCH:
            return
        query = replace(query, offset=query.offset + _BATCH)


def list_page(
    store: ResourceStore,
    kind: str,
    scope: Scope,
    listing: Listing,
    sort_keys: tuple[str, ...],
    extra_filter: Callable[[Record], bool] | None = None,
    extra_fingerprint: dict[str, Any] | None = None,
) -> tuple[list[Record], str | None]:
    """The page of records the request asks for, and the token of the next page (if any)."""
    if listing.sort_by not in sort_keys:
        raise Invalid(f"SortBy must be one of {', '.join(sort_keys)}, got {listing.sort_by}")
    if listing.sort_order not in ("Ascending", "Descending"):
        raise Invalid(f"SortOrder must be Ascending or Descending, got {listing.sort_order}")
    filters = listing.fingerprint(kind, extra_fingerprint or {})
    limit = page_limit(listing.max_results)
    offset = decode_token(listing.next_token, filters)
    # An empty StatusEquals has always filtered nothing here (the jobs' listing matches none).
    wanted = replace(listing, status_equals=listing.status_equals or None)
    found = [
        record
        for record in all_records(store, kind, scope, wanted)
        if extra_filter is None or extra_filter(record)
    ]
    found.sort(key=lambda record: record.name)  # ties in name order, whatever the direction
    found.sort(key=_SORT_KEYS[listing.sort_by], reverse=listing.sort_order == "Descending")
    page = found[offset : offset + limit]
    token = encode_token(offset + limit, filters) if len(found) > offset + limit else None
    return page, token
