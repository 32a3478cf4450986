"""S3 as a new user drives it with boto3: buckets, transfers, listings, metadata, ranges, copies.

Everything goes through the real `tsukuru up` process and the boto3 client and resource APIs a
user would call (`upload_file`, paginators, `Bucket.objects.all().delete()`), plus presigned
URLs used by plain `curl`, so what is checked is what a user would see.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.harness import REGION, RunningPlatform, make_client

MIB = 1024 * 1024


def unique_bucket(prefix: str = "acc") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(MIB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def s3_resource(platform: RunningPlatform) -> Any:
    keys = platform.credentials
    return boto3.session.Session().resource(
        "s3",
        endpoint_url=platform.endpoint_url,
        region_name=REGION,
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
    )


@pytest.fixture
def bucket(s3: Any, platform: RunningPlatform) -> Iterator[str]:
    """A fresh bucket, emptied and deleted afterwards."""
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    yield name
    s3_resource(platform).Bucket(name).objects.all().delete()
    s3.delete_bucket(Bucket=name)


def test_create_bucket_without_location_constraint_lives_in_us_east_1(s3: Any) -> None:
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.head_bucket(Bucket=name)
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as gone:
        s3.head_bucket(Bucket=name)
    assert gone.value.response["Error"]["Code"] == "404"


def test_create_bucket_with_location_constraint_keeps_its_region(
    platform: RunningPlatform,
) -> None:
    eu = make_client(platform, "s3", region_name="eu-west-1")
    name = unique_bucket()
    eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert eu.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    with pytest.raises(ClientError) as again:
        eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert again.value.response["Error"]["Code"] == "BucketAlreadyOwnedByYou"
    eu.delete_bucket(Bucket=name)


@pytest.mark.parametrize(("size", "multipart"), [(3 * MIB, False), (20 * MIB, True)])
def test_upload_file_and_download_file_round_trip_bytes_and_metadata(
    s3: Any, bucket: str, tmp_path: Path, size: int, multipart: bool
) -> None:
    source = random_file(tmp_path / "source.bin", size)
    extra = {"ContentType": "application/x-parquet", "Metadata": {"origin": "acceptance"}}
    s3.upload_file(str(source), bucket, "data/blob.bin", ExtraArgs=extra)

    head = s3.head_object(Bucket=bucket, Key="data/blob.bin")
    assert head["ContentLength"] == size
    assert head["ContentType"] == "application/x-parquet"
    assert head["Metadata"] == {"origin": "acceptance"}
    # A multipart object's ETag is md5-of-part-md5s with the part count; a single PUT's is the md5.
    if multipart:
        assert head["ETag"].strip('"').endswith("-3")  # 8 MiB parts by default: 8 + 8 + 4
        assert head["PartsCount"] == 3
    else:
        assert head["ETag"] == f'"{hashlib.md5(source.read_bytes()).hexdigest()}"'

    target = tmp_path / "target.bin"
    s3.download_file(bucket, "data/blob.bin", str(target))
    assert sha256_of(target) == sha256_of(source)


def _put_many(s3: Any, bucket: str, keys: list[str]) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=bucket, Key=key, Body=b"x"), keys))


def _collect(pages: Any) -> tuple[list[str], list[str], int]:
    keys: list[str] = []
    prefixes: list[str] = []
    count = 0
    for page in pages:
        count += 1
        keys += [item["Key"] for item in page.get("Contents", [])]
        prefixes += [item["Prefix"] for item in page.get("CommonPrefixes", [])]
    return keys, prefixes, count


def test_paginated_listing_of_2500_keys_then_delete_all(s3: Any, platform: RunningPlatform) -> None:
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    nested = [f"logs/{i % 5}/part-{i:04d}.txt" for i in range(2000)]
    top = [f"top-{i:04d}" for i in range(500)]
    _put_many(s3, name, nested + top)
    everything = sorted(nested + top)

    for operation in ("list_objects", "list_objects_v2"):
        paginator = s3.get_paginator(operation)
        keys, prefixes, pages = _collect(paginator.paginate(Bucket=name))
        assert (keys, prefixes, pages) == (everything, [], 3), operation

        keys, prefixes, _ = _collect(
            paginator.paginate(Bucket=name, Delimiter="/", PaginationConfig={"PageSize": 97})
        )
        assert (keys, prefixes) == (sorted(top), ["logs/"]), operation

        keys, prefixes, pages = _collect(
            paginator.paginate(
                Bucket=name, Prefix="logs/", Delimiter="/", PaginationConfig={"PageSize": 2}
            )
        )
        assert (keys, prefixes, pages) == ([], [f"logs/{i}/" for i in range(5)], 3), operation

        keys, _, _ = _collect(paginator.paginate(Bucket=name, Prefix="logs/3/"))
        assert keys == sorted(k for k in nested if k.startswith("logs/3/")), operation

    v2_page = s3.list_objects_v2(Bucket=name, StartAfter="top-0489")
    assert [item["Key"] for item in v2_page["Contents"]] == [
        f"top-{i:04d}" for i in range(490, 500)
    ]

    deleted = s3_resource(platform).Bucket(name).objects.all().delete()
    assert sum(len(batch.get("Deleted", [])) for batch in deleted) == 2500
    assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0
    s3.delete_bucket(Bucket=name)


def test_user_metadata_and_content_headers_round_trip(s3: Any, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket,
        Key="report.csv",
        Body=b"a,b\n1,2\n",
        ContentType="text/csv; charset=utf-8",
        ContentDisposition='attachment; filename="report.csv"',
        CacheControl="max-age=60",
        ContentEncoding="identity",
        Metadata={"Owner": "data-team", "run-id": "42"},
    )
    got = s3.get_object(Bucket=bucket, Key="report.csv")
    assert got["Body"].read() == b"a,b\n1,2\n"
    assert got["ContentType"] == "text/csv; charset=utf-8"
    assert got["ContentDisposition"] == 'attachment; filename="report.csv"'
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentEncoding"] == "identity"
    assert got["Metadata"] == {"owner": "data-team", "run-id": "42"}  # S3 lower-cases names

    untyped = s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert untyped["ETag"] == f'"{hashlib.md5(b"x").hexdigest()}"'
    assert s3.head_object(Bucket=bucket, Key="plain")["ContentType"] == "binary/octet-stream"


def test_range_get_answers_the_requested_slice(s3: Any, bucket: str) -> None:
    body = bytes(range(256)) * 40
    s3.put_object(Bucket=bucket, Key="ranged", Body=body)
    cases = {
        "bytes=10-19": (10, 20),
        "bytes=-5": (len(body) - 5, len(body)),
        "bytes=10000-": (10000, len(body)),
    }
    for header, (start, end) in cases.items():
        got = s3.get_object(Bucket=bucket, Key="ranged", Range=header)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert got["ContentRange"] == f"bytes {start}-{end - 1}/{len(body)}"
        assert got["ContentLength"] == end - start
        assert got["Body"].read() == body[start:end]
    with pytest.raises(ClientError) as outside:
        s3.get_object(Bucket=bucket, Key="ranged", Range=f"bytes={len(body)}-")
    assert outside.value.response["Error"]["Code"] == "InvalidRange"
    assert outside.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416


def test_copy_object_within_and_across_buckets(s3: Any, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket, Key="src", Body=b"copy me", ContentType="text/plain", Metadata={"a": "1"}
    )
    copied = s3.copy_object(Bucket=bucket, Key="same", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"copy me").hexdigest()}"'
    same = s3.get_object(Bucket=bucket, Key="same")
    assert (same["Body"].read(), same["ContentType"], same["Metadata"]) == (
        b"copy me",
        "text/plain",
        {"a": "1"},
    )

    other = unique_bucket()
    s3.create_bucket(Bucket=other)
    try:
        s3.copy_object(
            Bucket=other,
            Key="dir/replaced",
            CopySource=f"{bucket}/src",
            MetadataDirective="REPLACE",
            ContentType="application/json",
            Metadata={"b": "2"},
        )
        replaced = s3.get_object(Bucket=other, Key="dir/replaced")
        assert (replaced["Body"].read(), replaced["ContentType"], replaced["Metadata"]) == (
            b"copy me",
            "application/json",
            {"b": "2"},
        )
        s3.delete_object(Bucket=other, Key="dir/replaced")
    finally:
        s3.delete_bucket(Bucket=other)

    # Overwriting the source afterwards leaves the copy alone.
    s3.put_object(Bucket=bucket, Key="src", Body=b"changed")
    assert s3.get_object(Bucket=bucket, Key="same")["Body"].read() == b"copy me"


def _curl(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["curl", "--silent", "--show-error", "--fail", *args],
        capture_output=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize("signature_version", [None, "s3v4"])
def test_presigned_get_and_put_urls_work_with_curl(
    platform: RunningPlatform, bucket: str, tmp_path: Path, signature_version: str | None
) -> None:
    options = {"signature_version": signature_version} if signature_version else {}
    s3 = make_client(platform, "s3", **options)
    payload = random_file(tmp_path / "upload.bin", 300_000)

    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "via curl/ü.bin"}, ExpiresIn=300
    )
    uploaded = _curl("--upload-file", str(payload), put_url)
    assert uploaded.returncode == 0, uploaded.stderr.decode()
    stored = s3.get_object(Bucket=bucket, Key="via curl/ü.bin")["Body"].read()
    assert stored == payload.read_bytes()

    get_url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "via curl/ü.bin"}, ExpiresIn=300
    )
    downloaded = tmp_path / "download.bin"
    fetched = _curl("--output", str(downloaded), get_url)
    assert fetched.returncode == 0, fetched.stderr.decode()
    assert sha256_of(downloaded) == sha256_of(payload)

    # The signature covers the key: pointing the same URL at another object is refused.
    tampered = get_url.replace("%C3%BC.bin", "other.bin")
    assert tampered != get_url
    refused = _curl("--output", str(tmp_path / "no.bin"), "--write-out", "%{http_code}", tampered)
    assert refused.returncode != 0
    assert refused.stdout.decode().endswith("403")
