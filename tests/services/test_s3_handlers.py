"""The S3 handlers called directly with botocore-shaped parameters.

Every output is checked against botocore's own `s3` model: each member a handler returns must
exist in the operation's output shape, so a misspelt field fails here before a client ignores it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.session
import crc32c
import pytest
from botocore.httpchecksum import Crc32Checksum, Sha1Checksum, Sha256Checksum, Sha512Checksum
from botocore.model import Shape

from tsukuru.blobs.filesystem import FilesystemBlobStore
from tsukuru.blobs.memory import MemoryBlobStore
from tsukuru.domain.clock import ManualClock
from tsukuru.domain.errors import Conflict, Invalid, NotFound
from tsukuru.domain.objects import ObjectService
from tsukuru.domain.s3_faults import NotModified
from tsukuru.protocol.context import Reply, RequestContext
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.wire import FilePayload, Headers, WireRequest
from tsukuru.services.s3 import S3Service
from tsukuru.services.s3_errors import translate_s3_error
from tsukuru.services.s3_objects import INLINE_BODY_LIMIT
from tsukuru.store.memory import MemoryMetadata

ACCOUNT = "123456789012"
MODEL = botocore.session.get_session().get_service_model("s3")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MIB = 1024 * 1024


def _check_members(value: Any, shape: Shape, where: str) -> None:
    if shape.type_name == "structure":
        assert isinstance(value, dict), where
        for key, item in value.items():
            assert key in shape.members, f"{where}.{key} is not in botocore's {shape.name}"
            _check_members(item, shape.members[key], f"{where}.{key}")
    elif shape.type_name == "list":
        assert isinstance(value, list), where
        for index, item in enumerate(value):
            _check_members(item, shape.member, f"{where}[{index}]")
    elif shape.type_name in ("long", "integer"):
        assert isinstance(value, int), where
        assert not isinstance(value, bool), where
    elif shape.type_name == "string":
        assert value is None or isinstance(value, str), where
    elif shape.type_name == "boolean":
        assert isinstance(value, bool), where
    elif shape.type_name == "timestamp":
        assert isinstance(value, datetime), where
    elif shape.type_name == "blob":
        assert isinstance(value, bytes | FilePayload), where


class S3:
    """Calls handlers the way the dispatcher does and checks outputs against botocore."""

    def __init__(self, blobs: Any) -> None:
        self.clock = ManualClock(T0)
        self.objects = ObjectService(MemoryMetadata().objects, blobs, self.clock)
        self.handlers = S3Service(self.objects).handlers()
        self.status: int | None = None

    def __call__(self, operation: str, **params: Any) -> dict[str, Any]:
        ctx = RequestContext(
            service="s3",
            operation=operation,
            request_id="req-1",
            account_id=ACCOUNT,
            region="us-east-1",
            access_key="AKID",
            request=WireRequest("POST", "/", headers=Headers({"Host": "localhost:4590"})),
        )
        result = self.handlers[operation](ctx, params)
        self.status = None
        if isinstance(result, Reply):
            self.status = result.status
            result = result.output
        assert isinstance(result, dict)
        output_shape = MODEL.operation_model(operation).output_shape
        if output_shape is None:
            assert result == {}
        else:
            _check_members(result, output_shape, operation)
        return result

    def refused(self, operation: str, **params: Any) -> ServiceError:
        with pytest.raises(ServiceError) as caught:
            self(operation, **params)
        return caught.value

    def body(self, output: dict[str, Any]) -> bytes:
        body = output["Body"]
        if isinstance(body, FilePayload):
            with open(body.path, "rb") as handle:
                handle.seek(body.offset)
                return handle.read(body.length)
        assert isinstance(body, bytes)
        return body


@pytest.fixture(params=["memory", "filesystem"])
def s3(request: pytest.FixtureRequest, tmp_path: Path) -> S3:
    blobs = MemoryBlobStore() if request.param == "memory" else FilesystemBlobStore(tmp_path)
    client = S3(blobs)
    client("CreateBucket", Bucket="data")
    return client


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def crc32_of(data: bytes) -> str:
    return b64(zlib.crc32(data).to_bytes(4, "big"))


# ---------------------------------------------------------------------- buckets


def test_serves_the_s3_operations(s3: S3) -> None:
    expected = {
        "ListBuckets",
        "CreateBucket",
        "HeadBucket",
        "DeleteBucket",
        "GetBucketLocation",
        "PutObject",
        "GetObject",
        "HeadObject",
        "DeleteObject",
        "DeleteObjects",
        "CopyObject",
        "ListObjects",
        "ListObjectsV2",
        "CreateMultipartUpload",
        "UploadPart",
        "UploadPartCopy",
        "CompleteMultipartUpload",
        "AbortMultipartUpload",
        "ListParts",
        "ListMultipartUploads",
        "GetBucketVersioning",
        "GetBucketAcl",
        "GetBucketPolicy",
    }
    assert expected <= set(s3.handlers)
    assert all(name in MODEL.operation_names for name in s3.handlers)


def test_bucket_lifecycle(s3: S3) -> None:
    created = s3(
        "CreateBucket",
        Bucket="eu-data",
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
    )
    assert created == {"Location": "/eu-data", "BucketArn": "arn:aws:s3:::eu-data"}
    assert s3("HeadBucket", Bucket="eu-data")["BucketRegion"] == "eu-west-1"
    assert s3("GetBucketLocation", Bucket="eu-data") == {"LocationConstraint": "eu-west-1"}
    assert s3("GetBucketLocation", Bucket="data") == {"LocationConstraint": None}
    listed = s3("ListBuckets")
    assert [b["Name"] for b in listed["Buckets"]] == ["data", "eu-data"]
    assert len(listed["Owner"]["ID"]) == 64
    paged = s3("ListBuckets", MaxBuckets=1)
    assert [b["Name"] for b in paged["Buckets"]] == ["data"]
    rest = s3("ListBuckets", ContinuationToken=paged["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == ["eu-data"]
    assert "ContinuationToken" not in rest
    assert s3("DeleteBucket", Bucket="eu-data") == {}
    gone = s3.refused("HeadBucket", Bucket="eu-data")
    assert (gone.code, gone.status, gone.extra) == ("NoSuchBucket", 404, {"BucketName": "eu-data"})


def test_bucket_errors(s3: S3) -> None:
    bad = s3.refused("CreateBucket", Bucket="Bad_Name")
    assert (bad.code, bad.status) == ("InvalidBucketName", 400)
    s3("CreateBucket", Bucket="data")  # us-east-1: the owner may create it again
    s3("PutObject", Bucket="data", Key="k", Body=b"x")
    not_empty = s3.refused("DeleteBucket", Bucket="data")
    assert (not_empty.code, not_empty.status) == ("BucketNotEmpty", 409)
    denied = s3.refused("HeadBucket", Bucket="data", ExpectedBucketOwner="999999999999")
    assert (denied.code, denied.status) == ("AccessDenied", 403)
    assert s3("HeadBucket", Bucket="data", ExpectedBucketOwner=ACCOUNT)["BucketRegion"]


def test_bucket_configuration_reads(s3: S3) -> None:
    assert s3("GetBucketVersioning", Bucket="data") == {}
    acl = s3("GetBucketAcl", Bucket="data")
    assert acl["Grants"][0]["Permission"] == "FULL_CONTROL"
    encryption = s3("GetBucketEncryption", Bucket="data")
    rule = encryption["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    policy = s3.refused("GetBucketPolicy", Bucket="data")
    assert (policy.code, policy.status) == ("NoSuchBucketPolicy", 404)
    assert s3.refused("GetBucketTagging", Bucket="data").code == "NoSuchTagSet"
    assert s3.refused("GetBucketPolicy", Bucket="nope").code == "NoSuchBucket"


# ---------------------------------------------------------------------- put / get / head


def test_put_get_head_round_trip(s3: S3) -> None:
    data = b"age,job\n56,housemaid\n"
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    put = s3(
        "PutObject",
        Bucket="data",
        Key="train/train.csv",
        Body=data,
        ContentType="text/csv",
        Metadata={"Origin": "bank"},
        CacheControl="max-age=60",
        Expires=expires,
        ContentEncoding="aws-chunked",
        StorageClass="STANDARD",
    )
    assert put == {"ETag": f'"{hashlib.md5(data).hexdigest()}"'}
    got = s3("GetObject", Bucket="data", Key="train/train.csv")
    assert s3.status is None
    assert s3.body(got) == data
    assert got["ContentLength"] == len(data)
    assert got["ContentType"] == "text/csv"
    assert got["Metadata"] == {"origin": "bank"}
    assert got["CacheControl"] == "max-age=60"
    assert got["Expires"] == expires
    assert "ContentEncoding" not in got  # the aws-chunked framing is not the object's encoding
    assert got["LastModified"] == T0
    assert got["AcceptRanges"] == "bytes"
    head = s3("HeadObject", Bucket="data", Key="train/train.csv")
    assert "Body" not in head
    assert {k: v for k, v in got.items() if k != "Body"} == head


def test_get_streams_big_objects_from_disk_when_it_can(s3: S3) -> None:
    big = os.urandom(INLINE_BODY_LIMIT + 10)
    s3("PutObject", Bucket="data", Key="big", Body=big)
    whole = s3("GetObject", Bucket="data", Key="big")
    ranged = s3("GetObject", Bucket="data", Key="big", Range="bytes=5-")
    if isinstance(s3.objects.blobs, FilesystemBlobStore):
        assert isinstance(whole["Body"], FilePayload)
        assert (whole["Body"].offset, whole["Body"].length) == (0, len(big))
        assert isinstance(ranged["Body"], FilePayload)
        assert (ranged["Body"].offset, ranged["Body"].length) == (5, len(big) - 5)
    else:
        assert (whole["Body"], ranged["Body"]) == (big, big[5:])
    # Small bodies are cheaper to read at once than to stream.
    s3("PutObject", Bucket="data", Key="k", Body=b"0123456789")
    assert s3("GetObject", Bucket="data", Key="k")["Body"] == b"0123456789"
    assert s3("GetObject", Bucket="data", Key="big", Range="bytes=0-9")["Body"] == big[:10]
    empty = s3("PutObject", Bucket="data", Key="empty", Body=b"")
    assert empty["ETag"] == f'"{hashlib.md5(b"").hexdigest()}"'
    assert s3("GetObject", Bucket="data", Key="empty")["Body"] == b""


def test_ranged_get_is_206(s3: S3) -> None:
    s3(
        "PutObject",
        Bucket="data",
        Key="k",
        Body=b"0123456789",
        ChecksumCRC32=crc32_of(b"0123456789"),
    )
    got = s3("GetObject", Bucket="data", Key="k", Range="bytes=2-4", ChecksumMode="ENABLED")
    assert s3.status == 206
    assert s3.body(got) == b"234"
    assert (got["ContentLength"], got["ContentRange"]) == (3, "bytes 2-4/10")
    assert "ChecksumCRC32" not in got  # no whole-object checksum for a slice
    unsatisfiable = s3.refused("GetObject", Bucket="data", Key="k", Range="bytes=10-")
    assert (unsatisfiable.code, unsatisfiable.status) == ("InvalidRange", 416)
    assert unsatisfiable.extra["ActualObjectSize"] == "10"


def test_conditional_get(s3: S3) -> None:
    etag = s3("PutObject", Bucket="data", Key="k", Body=b"v")["ETag"]
    not_modified = s3.refused("GetObject", Bucket="data", Key="k", IfNoneMatch=etag)
    assert (not_modified.code, not_modified.status) == ("NotModified", 304)
    assert not_modified.headers == {"ETag": etag, "Last-Modified": "Sun, 01 Mar 2026 12:00:00 GMT"}
    failed = s3.refused("HeadObject", Bucket="data", Key="k", IfMatch='"other"')
    assert (failed.code, failed.status, failed.extra) == (
        "PreconditionFailed",
        412,
        {"Condition": "If-Match"},
    )
    s3.clock.advance(7200)
    since = s3.refused("GetObject", Bucket="data", Key="k", IfModifiedSince=T0 + timedelta(hours=1))
    assert since.status == 304
    assert s3("GetObject", Bucket="data", Key="k", IfMatch=etag)["ETag"] == etag


def test_response_overrides(s3: S3) -> None:
    s3("PutObject", Bucket="data", Key="k", Body=b"v", ContentType="text/plain")
    got = s3(
        "GetObject",
        Bucket="data",
        Key="k",
        ResponseContentType="application/json",
        ResponseContentDisposition="attachment; filename=k.json",
    )
    assert got["ContentType"] == "application/json"
    assert got["ContentDisposition"] == "attachment; filename=k.json"


def test_missing_key(s3: S3) -> None:
    missing = s3.refused("GetObject", Bucket="data", Key="no/such")
    assert (missing.code, missing.status, missing.extra) == ("NoSuchKey", 404, {"Key": "no/such"})
    assert s3.refused("HeadObject", Bucket="nope", Key="k").code == "NoSuchBucket"


def test_key_and_digest_errors(s3: S3) -> None:
    too_long = s3.refused("PutObject", Bucket="data", Key="k" * 1025, Body=b"x")
    assert (too_long.code, too_long.status) == ("KeyTooLongError", 400)
    wrong = b64(hashlib.md5(b"other").digest())
    bad = s3.refused("PutObject", Bucket="data", Key="k", Body=b"x", ContentMD5=wrong)
    assert (bad.code, bad.status) == ("BadDigest", 400)
    assert s3.refused("GetObject", Bucket="data", Key="k").code == "NoSuchKey"
    invalid = s3.refused("PutObject", Bucket="data", Key="k", Body=b"x", ContentMD5="nope")
    assert invalid.code == "InvalidDigest"


# ---------------------------------------------------------------------- checksums


def _botocore(cls: Any, data: bytes) -> str:
    checksum = cls()
    checksum.update(data)
    return str(checksum.b64digest())


@pytest.mark.parametrize(
    ("member", "expected"),
    [
        ("ChecksumCRC32", lambda d: _botocore(Crc32Checksum, d)),
        ("ChecksumCRC32C", lambda d: b64(crc32c.crc32c(d).to_bytes(4, "big"))),
        ("ChecksumSHA1", lambda d: _botocore(Sha1Checksum, d)),
        ("ChecksumSHA256", lambda d: _botocore(Sha256Checksum, d)),
        ("ChecksumSHA512", lambda d: _botocore(Sha512Checksum, d)),
        ("ChecksumMD5", lambda d: b64(hashlib.md5(d).digest())),
    ],
)
def test_checksums_are_verified_stored_and_returned(s3: S3, member: str, expected: Any) -> None:
    data = os.urandom(100_000)
    value = expected(data)
    put = s3("PutObject", Bucket="data", Key="k", Body=data, **{member: value})
    assert put[member] == value
    assert put["ChecksumType"] == "FULL_OBJECT"
    plain = s3("GetObject", Bucket="data", Key="k")
    assert member not in plain
    got = s3("GetObject", Bucket="data", Key="k", ChecksumMode="ENABLED")
    assert (got[member], got["ChecksumType"]) == (value, "FULL_OBJECT")
    head = s3("HeadObject", Bucket="data", Key="k", ChecksumMode="ENABLED")
    assert head[member] == value
    wrong = expected(data + b"!")
    refused = s3.refused("PutObject", Bucket="data", Key="k2", Body=data, **{member: wrong})
    assert (refused.code, refused.status) == ("BadDigest", 400)
    algorithm = member.removeprefix("Checksum")
    assert (
        refused.message == f"The {algorithm} you specified did not match the calculated checksum."
    )
    assert s3.refused("HeadObject", Bucket="data", Key="k2").code == "NoSuchKey"


def test_crc64nvme(s3: S3) -> None:
    check = b64((0xAE8B14860A799888).to_bytes(8, "big"))  # CRC-64/NVME of "123456789"
    put = s3("PutObject", Bucket="data", Key="k", Body=b"123456789", ChecksumCRC64NVME=check)
    assert put["ChecksumCRC64NVME"] == check


def test_requested_algorithm_is_computed(s3: S3) -> None:
    put = s3("PutObject", Bucket="data", Key="k", Body=b"abc", ChecksumAlgorithm="CRC32")
    assert put["ChecksumCRC32"] == crc32_of(b"abc")


def test_checksum_request_errors(s3: S3) -> None:
    xx = s3.refused("PutObject", Bucket="data", Key="k", Body=b"x", ChecksumXXHASH64="AAAAAAAAAAA=")
    assert xx.code == "InvalidRequest"
    short = s3.refused("PutObject", Bucket="data", Key="k", Body=b"x", ChecksumCRC32="AAA=")
    assert short.code == "InvalidRequest"
    two = s3.refused(
        "PutObject",
        Bucket="data",
        Key="k",
        Body=b"x",
        ChecksumCRC32=crc32_of(b"x"),
        ChecksumSHA1=_botocore(Sha1Checksum, b"x"),
    )
    assert two.code == "InvalidRequest"
    unknown = s3.refused("PutObject", Bucket="data", Key="k", Body=b"x", ChecksumAlgorithm="FOO")
    assert unknown.code == "InvalidRequest"


# ---------------------------------------------------------------------- delete / copy


def test_delete_object_and_objects(s3: S3) -> None:
    for key in ["a", "b", "c"]:
        s3("PutObject", Bucket="data", Key=key, Body=b"x")
    assert s3("DeleteObject", Bucket="data", Key="a") == {}
    assert s3("DeleteObject", Bucket="data", Key="a") == {}
    result = s3(
        "DeleteObjects",
        Bucket="data",
        Delete={"Objects": [{"Key": "b"}, {"Key": "missing"}, {"Key": "k" * 1100}]},
    )
    assert result["Deleted"] == [{"Key": "b"}, {"Key": "missing"}]
    assert result["Errors"][0]["Code"] == "KeyTooLongError"
    quiet = s3("DeleteObjects", Bucket="data", Delete={"Objects": [{"Key": "c"}], "Quiet": True})
    assert quiet == {}
    assert s3("ListObjectsV2", Bucket="data")["KeyCount"] == 0


SOURCE = "/data/src%20key%2B%C3%BC"  # "data/src key+ü", URL-encoded as botocore sends it


def test_copy_object(s3: S3) -> None:
    s3("CreateBucket", Bucket="other")
    put = s3(
        "PutObject",
        Bucket="data",
        Key="src key+ü",
        Body=b"bytes",
        Metadata={"a": "1"},
        ChecksumCRC32=crc32_of(b"bytes"),
    )
    copied = s3("CopyObject", Bucket="other", Key="dst", CopySource=SOURCE)
    result = copied["CopyObjectResult"]
    assert result["ETag"] == put["ETag"]
    assert result["ChecksumCRC32"] == crc32_of(b"bytes")
    got = s3("GetObject", Bucket="other", Key="dst")
    assert (s3.body(got), got["Metadata"]) == (b"bytes", {"a": "1"})
    replaced = s3(
        "CopyObject",
        Bucket="data",
        Key="src key+ü",
        CopySource=SOURCE + "?versionId=null",
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="text/plain",
        ChecksumAlgorithm="SHA256",
    )
    assert replaced["CopyObjectResult"]["ChecksumSHA256"] == _botocore(Sha256Checksum, b"bytes")
    head = s3("HeadObject", Bucket="data", Key="src key+ü")
    assert (head["Metadata"], head["ContentType"]) == ({"b": "2"}, "text/plain")


def test_copy_errors(s3: S3) -> None:
    s3("PutObject", Bucket="data", Key="k", Body=b"x")
    itself = s3.refused("CopyObject", Bucket="data", Key="k", CopySource="data/k")
    assert (itself.code, itself.status) == ("InvalidRequest", 400)
    assert s3.refused("CopyObject", Bucket="data", Key="k2", CopySource="data").code == (
        "InvalidArgument"
    )
    version = s3.refused("CopyObject", Bucket="data", Key="k2", CopySource="data/k?versionId=v1")
    assert (version.code, version.status) == ("NoSuchVersion", 404)
    directive = s3.refused(
        "CopyObject", Bucket="data", Key="k2", CopySource="data/k", MetadataDirective="MERGE"
    )
    assert directive.code == "InvalidArgument"
    condition = s3.refused(
        "CopyObject", Bucket="data", Key="k2", CopySource="data/k", CopySourceIfMatch='"nope"'
    )
    assert (condition.code, condition.status) == ("PreconditionFailed", 412)
    missing = s3.refused("CopyObject", Bucket="data", Key="k2", CopySource="data/absent")
    assert (missing.code, missing.extra) == ("NoSuchKey", {"Key": "absent"})


# ---------------------------------------------------------------------- listing


def test_list_objects_v1_with_url_encoding(s3: S3) -> None:
    for key in ["dir/a b", "dir/sub/x", "dir/sub/y", "dir/z+1", "top"]:
        s3("PutObject", Bucket="data", Key=key, Body=b"12")
    page = s3(
        "ListObjects", Bucket="data", Prefix="dir/", Delimiter="/", EncodingType="url", MaxKeys=2
    )
    assert [c["Key"] for c in page["Contents"]] == ["dir/a%20b"]
    assert page["CommonPrefixes"] == [{"Prefix": "dir/sub/"}]
    assert (page["IsTruncated"], page["NextMarker"], page["Marker"]) == (True, "dir/sub/", "")
    assert page["EncodingType"] == "url"
    assert page["Contents"][0]["Owner"]["ID"]
    assert page["Contents"][0]["Size"] == 2
    rest = s3("ListObjects", Bucket="data", Prefix="dir/", Delimiter="/", Marker="dir/sub/")
    assert [c["Key"] for c in rest["Contents"]] == ["dir/z+1"]
    assert rest["IsTruncated"] is False
    assert "NextMarker" not in rest
    flat = s3("ListObjects", Bucket="data", MaxKeys=2)
    assert flat["IsTruncated"]
    assert "NextMarker" not in flat


def test_list_objects_v2_tokens(s3: S3) -> None:
    for i in range(5):
        s3("PutObject", Bucket="data", Key=f"k{i}", Body=b"", ChecksumAlgorithm="CRC32")
    first = s3("ListObjectsV2", Bucket="data", MaxKeys=2, FetchOwner=True)
    assert (first["KeyCount"], first["IsTruncated"]) == (2, True)
    assert first["Contents"][0]["ChecksumAlgorithm"] == ["CRC32"]
    assert "Owner" in first["Contents"][0]
    token = first["NextContinuationToken"]
    second = s3("ListObjectsV2", Bucket="data", MaxKeys=2, ContinuationToken=token)
    assert [c["Key"] for c in second["Contents"]] == ["k2", "k3"]
    assert second["ContinuationToken"] == token
    assert "Owner" not in second["Contents"][0]
    after = s3("ListObjectsV2", Bucket="data", StartAfter="k3")
    assert [c["Key"] for c in after["Contents"]] == ["k4"]
    assert after["StartAfter"] == "k3"
    bad = s3.refused("ListObjectsV2", Bucket="data", ContinuationToken="garbage")
    assert bad.code == "InvalidArgument"
    empty = s3("ListObjectsV2", Bucket="data", Prefix="zzz")
    assert "Contents" not in empty
    assert empty["KeyCount"] == 0
    negative = s3.refused("ListObjectsV2", Bucket="data", MaxKeys=-1)
    assert negative.code == "InvalidArgument"


# ---------------------------------------------------------------------- multipart


def _multipart(
    s3: S3, key: str, parts: list[bytes], **create: Any
) -> tuple[str, list[dict[str, Any]]]:
    upload_id = s3("CreateMultipartUpload", Bucket="data", Key=key, **create)["UploadId"]
    done = []
    for number, data in enumerate(parts, start=1):
        out = s3(
            "UploadPart", Bucket="data", Key=key, UploadId=upload_id, PartNumber=number, Body=data
        )
        done.append(
            {
                "PartNumber": number,
                "ETag": out["ETag"],
                **{k: v for k, v in out.items() if k.startswith("Checksum")},
            }
        )
    return upload_id, done


def test_multipart_with_composite_crc32(s3: S3) -> None:
    parts = [os.urandom(5 * MIB), b"tail"]
    created = s3(
        "CreateMultipartUpload",
        Bucket="data",
        Key="big",
        ChecksumAlgorithm="CRC32",
        ContentType="text/csv",
    )
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == ("CRC32", "COMPOSITE")
    upload_id = created["UploadId"]
    first = s3(
        "UploadPart",
        Bucket="data",
        Key="big",
        UploadId=upload_id,
        PartNumber=1,
        Body=parts[0],
        ChecksumCRC32=crc32_of(parts[0]),
    )
    # a client that leaves the part checksum out still gets one computed
    second = s3(
        "UploadPart", Bucket="data", Key="big", UploadId=upload_id, PartNumber=2, Body=parts[1]
    )
    assert second["ChecksumCRC32"] == crc32_of(parts[1])
    listed = s3("ListParts", Bucket="data", Key="big", UploadId=upload_id)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2]
    assert listed["ChecksumAlgorithm"] == "CRC32"
    completed = s3(
        "CompleteMultipartUpload",
        Bucket="data",
        Key="big",
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": first["ETag"], "ChecksumCRC32": first["ChecksumCRC32"]},
                {"PartNumber": 2, "ETag": second["ETag"]},
            ]
        },
    )
    joined = base64.b64decode(first["ChecksumCRC32"]) + base64.b64decode(second["ChecksumCRC32"])
    assert completed["ChecksumCRC32"] == f"{crc32_of(joined)}-2"
    assert completed["ChecksumType"] == "COMPOSITE"
    assert completed["ETag"].endswith('-2"')
    assert completed["Location"] == "http://localhost:4590/data/big"
    got = s3("GetObject", Bucket="data", Key="big", ChecksumMode="ENABLED")
    assert s3.body(got) == parts[0] + parts[1]
    assert (got["PartsCount"], got["ChecksumCRC32"]) == (2, completed["ChecksumCRC32"])
    assert got["ContentType"] == "text/csv"


def test_multipart_with_full_object_crc(s3: S3) -> None:
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"end"]
    whole = b"".join(parts)
    upload_id, done = _multipart(
        s3, "big", parts, ChecksumAlgorithm="CRC32C", ChecksumType="FULL_OBJECT"
    )
    expected = b64(crc32c.crc32c(whole).to_bytes(4, "big"))
    wrong = s3.refused(
        "CompleteMultipartUpload",
        Bucket="data",
        Key="big",
        UploadId=upload_id,
        MultipartUpload={"Parts": done},
        ChecksumCRC32C=b64(b"\0\0\0\0"),
    )
    assert wrong.code == "BadDigest"
    completed = s3(
        "CompleteMultipartUpload",
        Bucket="data",
        Key="big",
        UploadId=upload_id,
        MultipartUpload={"Parts": done},
        ChecksumCRC32C=expected,
    )
    assert (completed["ChecksumCRC32C"], completed["ChecksumType"]) == (expected, "FULL_OBJECT")


def test_multipart_errors(s3: S3) -> None:
    upload_id, done = _multipart(s3, "k", [b"small", b"parts"])
    too_small = s3.refused(
        "CompleteMultipartUpload",
        Bucket="data",
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": done},
    )
    assert (too_small.code, too_small.status) == ("EntityTooSmall", 400)
    order = s3.refused(
        "CompleteMultipartUpload",
        Bucket="data",
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": list(reversed(done))},
    )
    assert order.code == "InvalidPartOrder"
    part = s3.refused(
        "CompleteMultipartUpload",
        Bucket="data",
        Key="k",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 7, "ETag": done[0]["ETag"]}]},
    )
    assert part.code == "InvalidPart"
    number = s3.refused(
        "UploadPart", Bucket="data", Key="k", UploadId=upload_id, PartNumber=10001, Body=b"x"
    )
    assert number.code == "InvalidArgument"
    bad_type = s3.refused(
        "CreateMultipartUpload",
        Bucket="data",
        Key="k",
        ChecksumAlgorithm="SHA256",
        ChecksumType="FULL_OBJECT",
    )
    assert bad_type.code == "InvalidRequest"
    assert s3("AbortMultipartUpload", Bucket="data", Key="k", UploadId=upload_id) == {}
    gone = s3.refused("ListParts", Bucket="data", Key="k", UploadId=upload_id)
    assert (gone.code, gone.status, gone.extra) == ("NoSuchUpload", 404, {"UploadId": upload_id})


def test_list_uploads_and_part_copy(s3: S3) -> None:
    s3("PutObject", Bucket="data", Key="src", Body=b"0123456789")
    ids = [s3("CreateMultipartUpload", Bucket="data", Key=k)["UploadId"] for k in ["a/1", "b", "c"]]
    listed = s3("ListMultipartUploads", Bucket="data", Delimiter="/", MaxUploads=1)
    assert listed["CommonPrefixes"] == [{"Prefix": "a/"}]
    assert listed["IsTruncated"] is True
    assert listed["NextKeyMarker"] == "a/"
    rest = s3("ListMultipartUploads", Bucket="data", KeyMarker="a/", Delimiter="/")
    assert [u["Key"] for u in rest["Uploads"]] == ["b", "c"]
    copied = s3(
        "UploadPartCopy",
        Bucket="data",
        Key="b",
        UploadId=ids[1],
        PartNumber=1,
        CopySource="data/src",
        CopySourceRange="bytes=0-3",
    )
    etag = copied["CopyPartResult"]["ETag"]
    assert etag == f'"{hashlib.md5(b"0123").hexdigest()}"'
    s3(
        "CompleteMultipartUpload",
        Bucket="data",
        Key="b",
        UploadId=ids[1],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    assert s3.body(s3("GetObject", Bucket="data", Key="b")) == b"0123"


# ---------------------------------------------------------------------- error translation


@pytest.mark.parametrize(
    ("exc", "code", "status"),
    [
        (NotFound("gone", code="NoSuchUpload"), "NoSuchUpload", 404),
        (NotFound("gone"), "NoSuchKey", 404),
        (Conflict("busy", code="BucketNotEmpty"), "BucketNotEmpty", 409),
        (Invalid("bad", code="InvalidRange"), "InvalidRange", 416),
        (Invalid("bad"), "InvalidArgument", 400),
        (NotModified(), "NotModified", 304),
    ],
)
def test_translate_s3_error(exc: Exception, code: str, status: int) -> None:
    translated = translate_s3_error(exc)
    assert translated is not None
    assert (translated.code, translated.status) == (code, status)


def test_translate_leaves_other_exceptions_alone() -> None:
    assert translate_s3_error(ValueError("not ours")) is None
