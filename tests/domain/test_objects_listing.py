"""Listing: prefixes, delimiters and paging, checked against a brute-force model of S3."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tsukuru.blobs.memory import MemoryBlobStore
from tsukuru.domain.clock import ManualClock
from tsukuru.domain.errors import Invalid, NotFound
from tsukuru.domain.objects import ObjectService
from tsukuru.domain.ports import ObjectIndex, StoredObject
from tsukuru.domain.s3_listing import (
    check_max,
    continuation_token,
    past_prefix,
    read_continuation_token,
)
from tsukuru.store.memory import MemoryMetadata, MemoryObjectIndex

ACCOUNT = "111111111111"
AWKWARD_KEYS = [
    "a",
    "a/",
    "a/b",
    "a/b/c",
    "a//double",
    "a/b.c",
    "a.b",
    "a0",
    "/leading",
    "b/\U0010ffff",
    "b/\U0010ffff/deep",
    "b/z",
    "b\U0010ffff",
    "ü/one",
    "ü/two",
    "é",
    "key with spaces/x",
    "plus+sign",
    "percent%2Fslash/x",
    "x::y::z",
    "x::w",
    "tab\there/1",
    "ends/with/delim/",
]


class CountingIndex(MemoryObjectIndex):
    """Counts how many rows listing pulls from the index."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.rows = 0

    def list_objects(
        self, bucket: str, *, prefix: str = "", after: str | None = None, limit: int = 1000
    ) -> list[StoredObject]:
        found = super().list_objects(bucket, prefix=prefix, after=after, limit=limit)
        self.calls += 1
        self.rows += len(found)
        return found


def service_over(index: ObjectIndex, keys: list[str], bucket: str = "data") -> ObjectService:
    service = ObjectService(index, MemoryBlobStore(), ManualClock(datetime(2026, 1, 1, tzinfo=UTC)))
    service.create_bucket(bucket, account_id=ACCOUNT)
    for key in keys:
        service.put_object(bucket, key, b"")
    return service


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def awkward(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ObjectService]:
    """The awkward keys in one bucket, per index backend (listing never changes them)."""
    if request.param == "memory":
        yield service_over(MemoryObjectIndex(), AWKWARD_KEYS)
        return
    from tsukuru.store.sql import open_store, sqlite_url

    store = open_store(sqlite_url(Path(tmp_path_factory.mktemp("listing")) / "t.db"))
    yield service_over(store.objects, AWKWARD_KEYS)
    store.close()


def model_entries(keys: list[str], prefix: str, delimiter: str | None) -> list[str]:
    """Every key and common prefix S3 would list, in order, by brute force."""
    entries: list[str] = []
    for key in sorted(keys, key=lambda k: k.encode()):
        if not key.startswith(prefix):
            continue
        found = key.find(delimiter, len(prefix)) if delimiter else -1
        entry = key if found < 0 else key[: found + len(delimiter or "")]
        if not entries or entries[-1] != entry:
            entries.append(entry)
    return entries


def listed_pages(
    service: ObjectService, prefix: str, delimiter: str | None, page_size: int
) -> list[list[str]]:
    pages: list[list[str]] = []
    after: str | None = None
    while True:
        page = service.list_objects(
            "data", prefix=prefix, delimiter=delimiter, after=after, max_keys=page_size
        )
        entries = sorted([o.key for o in page.objects] + page.common_prefixes)
        pages.append(entries)
        if not page.is_truncated:
            return pages
        assert page.last_entry == entries[-1]
        after = page.last_entry
        assert len(pages) < 10_000


@pytest.mark.parametrize(
    ("prefix", "delimiter"),
    [
        ("", None),
        ("", "/"),
        ("a", "/"),
        ("a/", "/"),
        ("b/", "/"),
        ("x", "::"),
        ("", "a"),
        ("ü", "/"),
        ("zzz", "/"),
        ("", "\U0010ffff"),
    ],
)
@pytest.mark.parametrize("page_size", [1, 2, 3, 1000])
def test_listing_matches_the_model(
    awkward: ObjectService, prefix: str, delimiter: str | None, page_size: int
) -> None:
    expected = model_entries(AWKWARD_KEYS, prefix, delimiter)
    pages = listed_pages(awkward, prefix, delimiter, page_size)
    assert [entry for page in pages for entry in page] == expected
    assert all(len(page) <= page_size for page in pages)
    assert len(pages) == max(1, -(-len(expected) // page_size))


def test_common_prefixes_and_objects_are_separated(awkward: ObjectService) -> None:
    service = awkward
    page = service.list_objects("data", prefix="a/", delimiter="/")
    assert [o.key for o in page.objects] == ["a/", "a/b", "a/b.c"]
    assert page.common_prefixes == ["a//", "a/b/"]
    top = service.list_objects("data", delimiter="/")
    assert "a/" in top.common_prefixes
    assert "a" in [o.key for o in top.objects]
    assert top.key_count == len(top.objects) + len(top.common_prefixes)


def test_paging_2500_keys() -> None:
    keys = [f"logs/{i:05d}.json" for i in range(2500)]
    service = service_over(MemoryObjectIndex(), keys)
    seen: list[str] = []
    after: str | None = None
    truncations: list[bool] = []
    while True:
        page = service.list_objects("data", prefix="logs/", after=after)
        seen.extend(o.key for o in page.objects)
        truncations.append(page.is_truncated)
        if not page.is_truncated:
            break
        after = page.last_entry
    assert seen == keys
    assert truncations == [True, True, False]


def test_delimiter_listing_skips_whole_prefixes() -> None:
    keys = [f"dir{d:03d}/file{f:03d}" for d in range(200) for f in range(50)] + ["top"]
    index = CountingIndex()
    service = service_over(index, keys)
    index.calls = index.rows = 0
    page = service.list_objects("data", delimiter="/")
    assert page.common_prefixes == [f"dir{d:03d}/" for d in range(200)]
    assert [o.key for o in page.objects] == ["top"]
    assert not page.is_truncated
    # one short query per common prefix, never the 10,000 keys beneath them
    assert index.rows <= 3 * 201
    assert index.calls <= 205


def test_resuming_inside_a_common_prefix_skips_it() -> None:
    service = service_over(MemoryObjectIndex(), ["a/1", "a/2", "b/1", "c"])
    page = service.list_objects("data", delimiter="/", after="a/1")
    assert page.common_prefixes == ["b/"]
    assert [o.key for o in page.objects] == ["c"]
    page = service.list_objects("data", delimiter="/", after="a/")
    assert page.common_prefixes == ["b/"]


def test_max_keys_zero_and_limits() -> None:
    service = service_over(MemoryObjectIndex(), ["a", "b"])
    empty = service.list_objects("data", max_keys=0)
    assert (empty.objects, empty.common_prefixes, empty.is_truncated) == ([], [], False)
    assert check_max(None, "max-keys") == 1000
    assert check_max(5000, "max-keys") == 1000
    assert check_max(7, "max-keys") == 7
    with pytest.raises(Invalid) as exc:
        check_max(-1, "max-keys")
    assert exc.value.code == "InvalidArgument"


def test_listing_a_missing_bucket() -> None:
    service = service_over(MemoryObjectIndex(), [])
    with pytest.raises(NotFound) as exc:
        service.list_objects("nope")
    assert exc.value.code == "NoSuchBucket"
    with pytest.raises(NotFound):
        service.list_objects("nope", max_keys=0)


def test_random_keys_against_the_model() -> None:
    rng = random.Random(7)
    alphabet = ["a", "b", "/", "-", "é", "\U0001f600", "."]
    keys = sorted({"".join(rng.choices(alphabet, k=rng.randint(1, 8))) for _ in range(400)})
    service = service_over(MemoryObjectIndex(), keys)
    for prefix in ["", "a", "a/", "/", "é"]:
        for delimiter in [None, "/", "-", "/a"]:
            pages = listed_pages(service, prefix, delimiter, page_size=7)
            flat = [entry for page in pages for entry in page]
            assert flat == model_entries(keys, prefix, delimiter), (prefix, delimiter)


def test_continuation_tokens_round_trip() -> None:
    for entry in ["a/b", "ü/\U0010ffff", "", "with spaces & <xml>"]:
        token = continuation_token(entry)
        assert token.isascii()
        assert read_continuation_token(token) == entry
    for bad in ["not a token", "Zm9v", "!!!"]:
        with pytest.raises(Invalid) as exc:
            read_continuation_token(bad)
        assert exc.value.code == "InvalidArgument"


def test_past_prefix_sorts_after_every_key_under_it() -> None:
    cursor = past_prefix("p/")
    longest = "p/" + "\U0010ffff" * 255  # 1022 bytes, the largest key under p/
    assert longest.encode() < cursor.encode()
    assert cursor.encode() < b"p0"


def test_memory_metadata_is_usable_directly() -> None:
    service = service_over(MemoryMetadata().objects, ["k"])
    assert [o.key for o in service.list_objects("data").objects] == ["k"]
