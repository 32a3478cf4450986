"""Stopping tsukuru and starting it again on the same home keeps every bucket and object.

A user's data must outlive the process: after a clean stop (SIGTERM, what `tsukuru down` sends)
and after a hard kill, the same buckets, keys, bytes, ETags, metadata and regions are there, and
an upload left half-done is still listed so it can be completed.
"""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.harness import RunningPlatform, make_client, start_platform
from tsukuru.blobs.tiered import SMALL_BLOB_LIMIT

MIB = 1024 * 1024


def snapshot(s3: Any) -> dict[str, dict[str, tuple[str, str, str, dict[str, str]]]]:
    """Every bucket → key → (sha256 of the bytes, ETag, content type, metadata)."""
    state: dict[str, dict[str, tuple[str, str, str, dict[str, str]]]] = {}
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        objects: dict[str, tuple[str, str, str, dict[str, str]]] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", []):
                got = s3.get_object(Bucket=name, Key=item["Key"])
                digest = hashlib.sha256(got["Body"].read()).hexdigest()
                objects[item["Key"]] = (digest, got["ETag"], got["ContentType"], got["Metadata"])
        state[name] = objects
    return state


def populate(platform: RunningPlatform, tmp_path: Path) -> tuple[Any, str]:
    s3 = make_client(platform, "s3")
    s3.create_bucket(Bucket="kept-data")
    s3.create_bucket(Bucket="kept-empty")
    eu = make_client(platform, "s3", region_name="eu-west-1")
    eu.create_bucket(
        Bucket="kept-in-europe", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    for i in range(30):
        s3.put_object(
            Bucket="kept-data",
            Key=f"small/{i:02d} ü..x",
            Body=os.urandom(100 + i),
            ContentType="text/plain",
            Metadata={"index": str(i)},
        )
    # either side of the limit under which bytes live in the metadata database, not in files
    for size in (SMALL_BLOB_LIMIT, SMALL_BLOB_LIMIT + 1):
        s3.put_object(Bucket="kept-data", Key=f"edge/{size}", Body=os.urandom(size))
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(17 * MIB))
    s3.upload_file(str(big), "kept-data", "big/multipart.bin")
    eu.put_object(Bucket="kept-in-europe", Key="a/b", Body=b"nested")
    pending = s3.create_multipart_upload(Bucket="kept-data", Key="pending")["UploadId"]
    s3.upload_part(
        Bucket="kept-data", Key="pending", UploadId=pending, PartNumber=1, Body=b"p" * (5 * MIB)
    )
    return s3, pending


@pytest.mark.slow
def test_restart_keeps_every_bucket_and_object(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = start_platform(home)
    try:
        s3, pending = populate(first, tmp_path)
        before = snapshot(s3)
    finally:
        assert first.stop() == 0

    for stop_signal in (signal.SIGTERM, signal.SIGKILL):
        again = start_platform(home, port=first.port)
        try:
            s3 = make_client(again, "s3")
            assert snapshot(s3) == before
            eu = make_client(again, "s3", region_name="eu-west-1")
            assert eu.get_bucket_location(Bucket="kept-in-europe")["LocationConstraint"] == (
                "eu-west-1"
            )
            uploads = s3.list_multipart_uploads(Bucket="kept-data")["Uploads"]
            assert [u["UploadId"] for u in uploads] == [pending]
        finally:
            again.stop(stop_signal)

    final = start_platform(home)
    try:
        s3 = make_client(final, "s3")
        s3.upload_part(Bucket="kept-data", Key="pending", UploadId=pending, PartNumber=2, Body=b"q")
        parts = s3.list_parts(Bucket="kept-data", Key="pending", UploadId=pending)["Parts"]
        s3.complete_multipart_upload(
            Bucket="kept-data",
            Key="pending",
            UploadId=pending,
            MultipartUpload={
                "Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]
            },
        )
        body = s3.get_object(Bucket="kept-data", Key="pending")["Body"].read()
        assert body == b"p" * (5 * MIB) + b"q"
    finally:
        final.stop()
