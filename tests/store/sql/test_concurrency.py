"""Many threads writing at once: no "database is locked", no lost updates, no reused seq."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from tsukuru.domain.errors import AlreadyExists, Conflict
from tsukuru.domain.ports import Bucket, ListQuery, Part, Record, StoredObject, Upload
from tsukuru.domain.scope import Scope
from tsukuru.store.sql import SqlMetadata

THREADS = 8
ROUNDS = 40
SCOPE = Scope("111111111111", "us-east-1")
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _run_together(work: Callable[[int], None]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(number: int) -> None:
        try:
            start.wait()
            work(number)
        except BaseException as error:  # collected and asserted on below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_concurrent_writers_of_every_kind(sql_metadata: SqlMetadata) -> None:
    store = sql_metadata
    store.objects.create_bucket(Bucket("data", SCOPE.account_id, SCOPE.region, T0))
    store.logs.create_group(SCOPE, "/g", T0)
    store.logs.create_stream(SCOPE, "/g", "shared", T0)
    counter = store.resources.insert(
        Record("counter", SCOPE, "c", SCOPE.arn("sagemaker", "counter/c"), None, T0, T0, {"n": 0})
    )

    def work(number: int) -> None:
        for round_ in range(ROUNDS):
            store.objects.put_object(
                StoredObject("data", f"t{number}/{round_}", f"b{number}-{round_}", 1, '"e"', T0)
            )
            store.objects.put_object(
                StoredObject("data", "hot", f"h{number}-{round_}", 1, '"e"', T0)
            )
            store.logs.append(SCOPE, "/g", "shared", [(round_, f"{number}:{round_}")] * 3, 0)
            store.tags.add_tags(counter.arn, {f"t{number}": str(round_)})
            store.resources.insert(
                Record(
                    "job",
                    SCOPE,
                    f"j{number}-{round_}",
                    SCOPE.arn("sagemaker", f"job/j{number}-{round_}"),
                    "InProgress",
                    T0,
                    T0,
                    {},
                )
            )
            while True:  # optimistic concurrency: re-read and retry on Conflict
                current = store.resources.get("counter", SCOPE, "c")
                try:
                    store.resources.update(replace(current, doc={"n": current.doc["n"] + 1}))
                    break
                except Conflict:
                    continue

    assert _run_together(work) == []
    total = THREADS * ROUNDS
    assert len(store.objects.list_objects("data", limit=10_000)) == total + 1
    events = store.logs.get_events(SCOPE, "/g", "shared")
    assert [event.seq for event in events] == list(range(1, 3 * total + 1))
    final = store.resources.get("counter", SCOPE, "c")
    assert final.doc == {"n": total}
    assert final.version == total + 1
    assert len(store.resources.find("job", SCOPE, ListQuery(limit=10_000))) == total
    assert len(store.tags.get_tags(counter.arn)) == THREADS
    assert len(store.objects.referenced_blob_ids()) == total + 1


def test_racing_on_one_new_name(sql_metadata: SqlMetadata) -> None:
    """Every thread writes the same not-yet-existing rows at the same moment."""
    store = sql_metadata
    store.objects.create_bucket(Bucket("data", SCOPE.account_id, SCOPE.region, T0))
    store.objects.create_upload(Upload("u1", "data", "big", T0))
    store.logs.create_group(SCOPE, "/g", T0)
    unused: list[str] = []
    refused: list[str | None] = []

    def work(number: int) -> None:
        unused.extend(
            store.objects.put_object(StoredObject("data", "new", f"b{number}", 1, '"e"', T0))
        )
        unused.extend(store.objects.put_part(Part("u1", 1, f"p{number}", 1, '"e"', T0)))
        store.tags.add_tags("arn:x", {"same": str(number)})
        try:
            store.logs.create_stream(SCOPE, "/g", "one", T0)
        except AlreadyExists as error:
            refused.append(error.code)

    assert _run_together(work) == []
    kept_object = store.objects.get_object("data", "new").blob_id
    (kept_part,) = store.objects.list_parts("u1")
    everything = {f"b{n}" for n in range(THREADS)} | {f"p{n}" for n in range(THREADS)}
    assert sorted(unused) == sorted(everything - {kept_object, kept_part.blob_id})
    assert refused == ["ResourceAlreadyExistsException"] * (THREADS - 1)
    assert store.tags.get_tags("arn:x")["same"] in {str(n) for n in range(THREADS)}
