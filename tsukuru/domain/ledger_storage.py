"""Stored bytes in the ledger: S3 buckets and CloudWatch log groups.

S3 Standard bills per GB-month (GB = 2^30 bytes, a month = 730 hours, as AWS prorates). The
ledger simplifies: each object that exists now counts from its last modification to now;
objects already deleted, older versions and unfinished multipart uploads are not counted, and
the whole bucket is priced at the first (up to 50 TB) tier. CloudWatch Logs bills ingestion
once per GB (the group's stored bytes stand in for the ingested bytes) plus archive storage per
GB-month when the price table has a row for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from tsukuru.domain.ledger_items import LineItem
from tsukuru.domain.ledger_prices import PriceTable
from tsukuru.domain.ports import Bucket, LogGroup, LogStore, ObjectIndex
from tsukuru.domain.scope import Scope

GIB = 1024**3
HOURS_PER_MONTH = 730.0
S3_STORAGE = "s3-standard-storage-first-50tb"
LOGS_INGESTION = "cloudwatch-logs-ingestion-standard"
LOGS_STORAGE = "cloudwatch-logs-storage-standard"
_PAGE = 1000


def bucket_item(index: ObjectIndex, bucket: Bucket, prices: PriceTable, now: datetime) -> LineItem:
    total_bytes = 0
    byte_hours = 0.0
    for obj in _objects(index, bucket.name):
        total_bytes += obj[0]
        byte_hours += obj[0] * max(0.0, (now - obj[1]).total_seconds()) / 3600.0
    gb_months = byte_hours / GIB / HOURS_PER_MONTH
    rate = prices.storage(S3_STORAGE)
    usd_per_hour = (
        total_bytes / GIB * rate.usd / HOURS_PER_MONTH if rate is not None and total_bytes else None
    )
    return LineItem(
        kind="Bucket",
        name=bucket.name,
        arn=f"arn:aws:s3:::{bucket.name}",
        status=None,
        running=False,
        billable_now=total_bytes > 0,
        started=bucket.created,
        ended=None,
        elapsed_seconds=max(0.0, (now - bucket.created).total_seconds()),
        quantity=gb_months,
        unit="GB-month",
        rate_usd=rate.usd if rate is not None else None,
        usd_per_hour=usd_per_hour,
        estimated_usd=gb_months * rate.usd if rate is not None else None,
        price_basis="listed" if rate is not None else "missing",
        price_source=rate.source if rate is not None else "",
        as_of=rate.as_of if rate is not None else "",
        stored_bytes=total_bytes,
        usage=S3_STORAGE,
    )


def _objects(index: ObjectIndex, bucket: str) -> Iterator[tuple[int, datetime]]:
    after: str | None = None
    while True:
        page = index.list_objects(bucket, after=after, limit=_PAGE)
        for obj in page:
            yield obj.size, obj.last_modified
        if len(page) < _PAGE:
            return
        after = page[-1].key


def log_group_item(group: LogGroup, prices: PriceTable, now: datetime) -> LineItem:
    ingestion = prices.storage(LOGS_INGESTION)
    storage = prices.storage(LOGS_STORAGE)
    gigabytes = group.stored_bytes / GIB
    age_hours = max(0.0, (now - group.created).total_seconds()) / 3600.0
    cost = gigabytes * ingestion.usd if ingestion is not None else None
    note = ""
    if storage is not None and cost is not None:
        cost += gigabytes * age_hours / HOURS_PER_MONTH * storage.usd
    elif storage is None:
        note = f"archive storage has no list price (add the item {LOGS_STORAGE}, unit GB-month)"
    per_hour = (
        gigabytes * storage.usd / HOURS_PER_MONTH
        if storage is not None and group.stored_bytes
        else None
    )
    return LineItem(
        kind="LogGroup",
        name=group.name,
        arn=group.scope.arn("logs", f"log-group:{group.name}"),
        status=None,
        running=False,
        billable_now=group.stored_bytes > 0,
        started=group.created,
        ended=None,
        elapsed_seconds=age_hours * 3600.0,
        quantity=gigabytes,
        unit="GB",
        rate_usd=ingestion.usd if ingestion is not None else None,
        usd_per_hour=per_hour,
        estimated_usd=cost,
        price_basis="listed" if ingestion is not None else "missing",
        price_source=ingestion.source if ingestion is not None else "",
        as_of=ingestion.as_of if ingestion is not None else "",
        stored_bytes=group.stored_bytes,
        usage=LOGS_INGESTION,
        note=note,
    )


def buckets_of(index: ObjectIndex, scope: Scope) -> list[Bucket]:
    """The account's buckets in the scope's region."""
    return [b for b in index.list_buckets(scope.account_id) if b.region == scope.region]


def log_groups_of(logs: LogStore, scope: Scope) -> list[LogGroup]:
    groups: list[LogGroup] = []
    after: str | None = None
    while True:
        page = logs.list_groups(scope, after=after, limit=50)
        groups.extend(page)
        if len(page) < 50:
            return groups
        after = page[-1].name
