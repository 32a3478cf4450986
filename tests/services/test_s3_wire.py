"""S3 through the whole wire pipeline with a real boto3 client (and s3transfer).

The client's HTTP send is replaced by a call into the dispatcher (no sockets), so these tests
exercise botocore's serializer and checksums, our parser, the S3 handlers, our serializer and
botocore's parser and response-checksum validation together.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from urllib3._collections import HTTPHeaderDict

from tests.protocol.oracle import to_wire
from tsukuru.blobs.filesystem import FilesystemBlobStore
from tsukuru.blobs.memory import MemoryBlobStore
from tsukuru.domain.clock import ManualClock
from tsukuru.domain.objects import ObjectService
from tsukuru.domain.ports import BlobStore
from tsukuru.protocol.dispatch import Dispatcher
from tsukuru.protocol.sigv4 import SigV4Credential
from tsukuru.protocol.wire import FilePayload
from tsukuru.services.s3 import S3Service, translate_s3_error
from tsukuru.store.memory import MemoryMetadata

ACCOUNT = "123456789012"
REGION = "us-east-1"
MIB = 1024 * 1024


class _Raw:
    """What botocore reads a response body from (`stream()` for documents, `read()` for
    streaming payloads)."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._buffer.read()

    def read(self, amt: int | None = None, **_: Any) -> bytes:
        return self._buffer.read(amt)

    def close(self) -> None:
        self._buffer.close()


@cache
def _session() -> boto3.session.Session:
    """One session for the module: its clients share the loaded S3 model."""
    return boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name=REGION
    )


class Platform:
    """The S3 service behind a dispatcher, and a boto3 client wired straight into it."""

    def __init__(self, blobs: BlobStore) -> None:
        self.objects = ObjectService(MemoryMetadata().objects, blobs, ManualClock())
        self.operations: list[str] = []
        self.dispatcher = Dispatcher(
            {"s3": S3Service(self.objects).handlers()},
            self._identify,
            translate_s3_error,
            logging.getLogger("test-s3-wire"),
        )
        self.session = _session()
        self.client = self.session.client(
            "s3", endpoint_url="http://localhost:4590", config=Config(retries={"max_attempts": 1})
        )
        self.client.meta.events.register("before-send", self.send)
        self.client.meta.events.register("before-call", self._record)

    @staticmethod
    def _identify(cred: SigV4Credential | None) -> tuple[str, str]:
        return ACCOUNT, cred.region if cred is not None and cred.region else REGION

    def _record(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)

    def send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        response = asyncio.run(self.dispatcher.handle(to_wire(request)))
        body = response.body
        if isinstance(body, FilePayload):
            with open(body.path, "rb") as handle:
                handle.seek(body.offset)
                body = handle.read() if body.length is None else handle.read(body.length)
        return AWSResponse(
            request.url, response.status, HTTPHeaderDict(response.headers), _Raw(body)
        )


@pytest.fixture
def platform(tmp_path: Path) -> Platform:
    platform = Platform(FilesystemBlobStore(tmp_path / "blobs"))
    platform.client.create_bucket(Bucket="data")
    return platform


@pytest.fixture
def in_memory() -> Platform:
    """For tests that write many objects: no fsync per object."""
    platform = Platform(MemoryBlobStore())
    platform.client.create_bucket(Bucket="data")
    return platform


def error_of(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_put_and_get_with_checksum_validation(platform: Platform) -> None:
    s3 = platform.client
    data = b"age,job,marital\n" * 1000
    put = s3.put_object(Bucket="data", Key="train/train.csv", Body=data, Metadata={"a": "1"})
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert "ChecksumCRC32" in put  # botocore sent a CRC32 by default; we verified and kept it
    got = s3.get_object(Bucket="data", Key="train/train.csv", ChecksumMode="ENABLED")
    assert got["Body"].read() == data  # botocore validated the returned CRC32 while reading
    assert got["ChecksumCRC32"] == put["ChecksumCRC32"]
    assert got["Metadata"] == {"a": "1"}
    ranged = s3.get_object(Bucket="data", Key="train/train.csv", Range="bytes=0-15")
    assert ranged["Body"].read() == b"age,job,marital\n"
    assert ranged["ResponseMetadata"]["HTTPStatusCode"] == 206
    head = s3.head_object(Bucket="data", Key="train/train.csv")
    assert head["ContentLength"] == len(data)


def test_errors_as_botocore_reads_them(platform: Platform) -> None:
    s3 = platform.client
    with pytest.raises(ClientError) as missing:
        s3.get_object(Bucket="data", Key="nope")
    assert error_of(missing) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as head_missing:
        s3.head_bucket(Bucket="absent")
    # the SageMaker SDK checks exactly these for a missing default bucket
    assert head_missing.value.response["Error"]["Code"] == "404"
    assert head_missing.value.response["Error"]["Message"] == "Not Found"
    s3.put_object(Bucket="data", Key="k", Body=b"v")
    etag = s3.head_object(Bucket="data", Key="k")["ETag"]
    with pytest.raises(ClientError) as not_modified:
        s3.get_object(Bucket="data", Key="k", IfNoneMatch=etag)
    assert error_of(not_modified)[1] == 304
    with pytest.raises(ClientError) as failed:
        s3.get_object(Bucket="data", Key="k", IfMatch='"other"')
    assert error_of(failed) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as not_empty:
        s3.delete_bucket(Bucket="data")
    assert error_of(not_empty) == ("BucketNotEmpty", 409)
    with pytest.raises(ClientError) as bad_range:
        s3.get_object(Bucket="data", Key="k", Range="bytes=5-")
    assert error_of(bad_range) == ("InvalidRange", 416)


def test_bucket_calls_the_sdks_make(platform: Platform) -> None:
    s3 = platform.client
    s3.create_bucket(Bucket="data")  # the owner re-creating in us-east-1 succeeds, as on S3
    s3.create_bucket(
        Bucket="eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    with pytest.raises(ClientError) as owned:
        s3.create_bucket(
            Bucket="eu-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
    assert error_of(owned) == ("BucketAlreadyOwnedByYou", 409)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert names == ["data", "eu-bucket"]
    assert s3.get_bucket_location(Bucket="eu-bucket")["LocationConstraint"] == "eu-west-1"
    assert s3.get_bucket_location(Bucket="data")["LocationConstraint"] is None
    assert s3.head_bucket(Bucket="data", ExpectedBucketOwner=ACCOUNT)["BucketRegion"] == REGION


def test_upload_and_download_big_files_with_s3transfer(platform: Platform, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(9 * MIB + 123))
    config = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=5 * MIB)
    platform.client.upload_file(str(source), "data", "model/big.bin", Config=config)
    assert "CompleteMultipartUpload" in platform.operations
    head = platform.client.head_object(Bucket="data", Key="model/big.bin", ChecksumMode="ENABLED")
    assert head["ContentLength"] == 9 * MIB + 123
    assert head["ETag"].endswith('-2"')
    assert head["ChecksumCRC32"].endswith("-2")
    target = tmp_path / "back.bin"
    platform.client.download_file("data", "model/big.bin", str(target), Config=config)
    assert target.read_bytes() == source.read_bytes()
    assert platform.objects.multipart.list_uploads("data").uploads == []


def test_paginated_listing_and_bulk_delete(in_memory: Platform) -> None:
    platform = in_memory
    for i in range(1205):
        platform.objects.put_object("data", f"logs/{i:05d}", b"")
    for key in ["odd key+1", "ü/é", "dir/a", "dir/b"]:
        platform.objects.put_object("data", key, b"x")
    s3 = platform.client
    v1 = [
        o["Key"]
        for page in s3.get_paginator("list_objects").paginate(Bucket="data")
        for o in page.get("Contents", [])
    ]
    v2 = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="data")
        for o in page.get("Contents", [])
    ]
    expected = sorted(
        [f"logs/{i:05d}" for i in range(1205)] + ["odd key+1", "ü/é", "dir/a", "dir/b"]
    )
    assert v1 == expected
    assert v2 == expected
    top = s3.list_objects_v2(Bucket="data", Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["dir/", "logs/", "ü/"]
    assert [o["Key"] for o in top["Contents"]] == ["odd key+1"]
    delimited = list(
        s3.get_paginator("list_objects").paginate(
            Bucket="data", Delimiter="/", PaginationConfig={"PageSize": 1}
        )
    )
    assert [p["Prefix"] for page in delimited for p in page.get("CommonPrefixes", [])] == [
        "dir/",
        "logs/",
        "ü/",
    ]
    # the tutorial's clean-up: ListObjects + DeleteObjects in pages of 1000
    resource = platform.session.resource("s3", endpoint_url="http://localhost:4590")
    resource.meta.client.meta.events.register("before-send", platform.send)
    resource.Bucket("data").objects.all().delete()
    assert s3.list_objects_v2(Bucket="data")["KeyCount"] == 0
    s3.delete_bucket(Bucket="data")


def test_copy_and_multipart_copy(platform: Platform, tmp_path: Path) -> None:
    s3 = platform.client
    s3.put_object(Bucket="data", Key="src dir/a+b.csv", Body=b"1,2,3\n" * 10)
    s3.copy_object(
        Bucket="data", Key="copy.csv", CopySource={"Bucket": "data", "Key": "src dir/a+b.csv"}
    )
    assert s3.get_object(Bucket="data", Key="copy.csv")["Body"].read() == b"1,2,3\n" * 10
    big = os.urandom(6 * MIB)
    platform.objects.put_object("data", "big", big)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    s3.copy({"Bucket": "data", "Key": "big"}, "data", "big-copy", Config=config)
    assert "UploadPartCopy" in platform.operations
    assert s3.get_object(Bucket="data", Key="big-copy")["Body"].read() == big


def test_full_object_checksum_is_what_botocore_computes(platform: Platform) -> None:
    s3 = platform.client
    parts = [os.urandom(5 * MIB), os.urandom(MIB + 7)]
    upload = s3.create_multipart_upload(
        Bucket="data", Key="k", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT"
    )
    done = []
    for number, data in enumerate(parts, start=1):
        out = s3.upload_part(
            Bucket="data",
            Key="k",
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm="CRC32",
        )
        done.append({"PartNumber": number, "ETag": out["ETag"]})
    completed = s3.complete_multipart_upload(
        Bucket="data", Key="k", UploadId=upload["UploadId"], MultipartUpload={"Parts": done}
    )
    assert completed["ChecksumType"] == "FULL_OBJECT"
    got = s3.get_object(Bucket="data", Key="k", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == completed["ChecksumCRC32"]
    assert got["Body"].read() == b"".join(parts)  # botocore checks the CRC32 of every byte
