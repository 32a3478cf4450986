"""ListObjects stays an index range scan: checked on the query plan and timed on 100k keys."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import Select, text

from tsukuru.domain.ports import Bucket
from tsukuru.store.sql import SqlMetadata
from tsukuru.store.sql.objects import listing_query

KEYS = 100_000
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _fill(store: SqlMetadata, bucket: str) -> None:
    """Insert KEYS objects in one statement the database generates itself (fast on both)."""
    store.objects.create_bucket(Bucket(bucket, "111111111111", "us-east-1", T0))
    if store.database.is_sqlite:
        key = "printf('data/%02d/part-%06d.csv', x % 100, x)"
    else:
        key = "format('data/%s/part-%s.csv', lpad((x % 100)::text, 2, '0'), lpad(x::text, 6, '0'))"
    fill = f"""
        WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < {KEYS - 1})
        INSERT INTO objects (bucket, key, blob_id, size, etag, last_modified, content_type,
                             metadata, headers, checksums)
        SELECT :bucket, {key}, 'blob' || x, x, '"e"', 0, 'text/csv', '{{}}', '{{}}', '{{}}'
        FROM n
    """
    with store.database.write() as connection:
        connection.execute(text(fill), {"bucket": bucket})
        if not store.database.is_sqlite:
            connection.execute(text("ANALYZE objects"))


def _plan(store: SqlMetadata, statement: Select[object]) -> str:
    engine = store.database.engine
    sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN QUERY PLAN " if store.database.is_sqlite else "EXPLAIN "
    with store.database.read() as connection:
        rows = connection.exec_driver_sql(explain + sql).all()
    return "\n".join(str(row[-1]) for row in rows)


def test_listing_100k_keys_is_an_index_range_scan(sql_metadata: SqlMetadata) -> None:
    _fill(sql_metadata, "big")
    statement = listing_query("big", prefix="data/42/", after="data/42/part-050042.csv", limit=1000)
    plan = _plan(sql_metadata, statement)
    if sql_metadata.database.is_sqlite:
        assert "SEARCH objects USING" in plan, plan
        assert "key>" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert "Index Scan using pk_objects" in plan, plan
        assert "Sort" not in plan, plan

    index = sql_metadata.objects
    started = time.perf_counter()
    after: str | None = None
    seen = 0
    while page := index.list_objects("big", prefix="data/7", after=after, limit=1000):
        seen += len(page)
        after = page[-1].key
    elapsed = time.perf_counter() - started
    assert seen == KEYS // 10
    assert elapsed < 10, f"listing 10,000 of 100,000 keys took {elapsed:.2f}s"
    started = time.perf_counter()
    last = index.list_objects("big", prefix="data/99/", after="data/99/part-099899.csv")
    assert [o.key for o in last] == ["data/99/part-099999.csv"]
    assert time.perf_counter() - started < 1
