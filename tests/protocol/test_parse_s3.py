"""S3 (rest-xml) requests built by a real botocore client must parse back to the exact params."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.protocol.oracle import capture
from tsukuru.protocol.errors import ServiceError
from tsukuru.protocol.parse import parse_request, resolve_operation
from tsukuru.protocol.specs import service_model
from tsukuru.protocol.wire import Headers, WireRequest

S3 = service_model("s3")
WHEN = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def parsed(req: WireRequest) -> tuple[str, dict[str, Any]]:
    op = resolve_operation(S3, req)
    return op.name, parse_request(S3, op, req)


def round_trip(method: str, **params: Any) -> tuple[str, dict[str, Any]]:
    return parsed(capture("s3", method, **params))


def test_put_object_with_metadata_and_checksum() -> None:
    params = {
        "Bucket": "data",
        "Key": "train/train.csv",
        "Body": b"a,b\n1,2\n",
        "Metadata": {"purpose": "training", "owner": "ds"},
        "ContentType": "text/csv",
        "ChecksumCRC32": "AAAAAA==",
        "Tagging": "k=v",
        "StorageClass": "STANDARD",
    }
    name, got = round_trip("put_object", **params)
    assert name == "PutObject"
    assert got == {**params, "ContentLength": 8}  # botocore adds the length


def test_get_object_with_range_and_conditions() -> None:
    params = {
        "Bucket": "data",
        "Key": "k",
        "Range": "bytes=0-9",
        "IfNoneMatch": '"abc"',
        "IfModifiedSince": WHEN,
        "PartNumber": 2,
        "ResponseContentType": "text/plain",
    }
    name, got = round_trip("get_object", **params)
    assert name == "GetObject"
    assert got == {**params, "ChecksumMode": "ENABLED"}  # botocore asks for checksums


def test_list_objects_v2_all_params() -> None:
    params = {
        "Bucket": "data",
        "Prefix": "a b/ü",
        "Delimiter": "/",
        "MaxKeys": 7,
        "ContinuationToken": "tok+/=",
        "StartAfter": "a/0",
        "FetchOwner": True,
        "EncodingType": "url",
        "RequestPayer": "requester",
        "ExpectedBucketOwner": "123456789012",
    }
    assert round_trip("list_objects_v2", **params) == ("ListObjectsV2", params)


def test_list_objects_v1() -> None:
    params = {"Bucket": "data", "Marker": "m", "MaxKeys": 1000, "Prefix": "p/"}
    name, got = round_trip("list_objects", **params)
    assert name == "ListObjects"
    assert got == {**params, "EncodingType": "url"}


def test_delete_objects_xml_payload() -> None:
    delete = {"Objects": [{"Key": "a"}, {"Key": "b/c", "VersionId": "v1"}], "Quiet": True}
    name, got = round_trip("delete_objects", Bucket="data", Delete=delete)
    assert name == "DeleteObjects"
    assert got["Delete"] == delete
    assert got["Bucket"] == "data"


def test_multipart_upload_sequence() -> None:
    name, got = round_trip(
        "create_multipart_upload", Bucket="b", Key="big.bin", ChecksumAlgorithm="CRC32"
    )
    assert (name, got) == (
        "CreateMultipartUpload",
        {"Bucket": "b", "Key": "big.bin", "ChecksumAlgorithm": "CRC32"},
    )
    name, got = round_trip(
        "upload_part", Bucket="b", Key="big.bin", PartNumber=2, UploadId="up/1", Body=b"xyz"
    )
    assert name == "UploadPart"
    assert (got["PartNumber"], got["UploadId"], got["Body"]) == (2, "up/1", b"xyz")
    parts = {
        "Parts": [
            {"ETag": '"e1"', "PartNumber": 1, "ChecksumCRC32": "AAAAAA=="},
            {"ETag": '"e2"', "PartNumber": 2},
        ]
    }
    name, got = round_trip(
        "complete_multipart_upload",
        Bucket="b",
        Key="big.bin",
        UploadId="up/1",
        MultipartUpload=parts,
    )
    assert name == "CompleteMultipartUpload"
    assert got == {"Bucket": "b", "Key": "big.bin", "UploadId": "up/1", "MultipartUpload": parts}
    name, got = round_trip("abort_multipart_upload", Bucket="b", Key="big.bin", UploadId="u")
    assert name == "AbortMultipartUpload"


def test_copy_object_is_not_put_object() -> None:
    params = {
        "Bucket": "dst",
        "Key": "k2",
        "CopySource": "src/k 1",
        "MetadataDirective": "REPLACE",
        "Metadata": {"a": "1"},
        "CopySourceIfMatch": '"e"',
    }
    name, got = round_trip("copy_object", **params)
    assert name == "CopyObject"
    assert got == {**params, "CopySource": "src/k%201"}  # botocore URL-encodes the source


def test_upload_part_copy_is_not_upload_part() -> None:
    name, got = round_trip(
        "upload_part_copy",
        Bucket="b",
        Key="k",
        PartNumber=1,
        UploadId="u",
        CopySource="src/key",
        CopySourceRange="bytes=0-99",
    )
    assert name == "UploadPartCopy"
    assert got["CopySourceRange"] == "bytes=0-99"


def test_bucket_operations() -> None:
    assert round_trip("head_bucket", Bucket="b", ExpectedBucketOwner="123456789012") == (
        "HeadBucket",
        {"Bucket": "b", "ExpectedBucketOwner": "123456789012"},
    )
    config = {"LocationConstraint": "eu-west-1"}
    assert round_trip("create_bucket", Bucket="b", CreateBucketConfiguration=config) == (
        "CreateBucket",
        {"Bucket": "b", "CreateBucketConfiguration": config},
    )
    assert round_trip("create_bucket", Bucket="plain") == ("CreateBucket", {"Bucket": "plain"})
    assert round_trip("list_buckets") == ("ListBuckets", {})
    assert round_trip("get_bucket_location", Bucket="b") == ("GetBucketLocation", {"Bucket": "b"})
    assert round_trip("delete_bucket", Bucket="b") == ("DeleteBucket", {"Bucket": "b"})
    assert round_trip("head_object", Bucket="b", Key="k")[0] == "HeadObject"
    assert round_trip("delete_object", Bucket="b", Key="k")[0] == "DeleteObject"
    assert round_trip("get_object_tagging", Bucket="b", Key="k")[0] == "GetObjectTagging"
    assert round_trip("list_multipart_uploads", Bucket="b")[0] == "ListMultipartUploads"
    # the deprecated alias never wins a tie against its successor
    assert round_trip("get_bucket_lifecycle_configuration", Bucket="b")[0] == (
        "GetBucketLifecycleConfiguration"
    )


def test_put_bucket_tagging_structure_payload() -> None:
    tagging = {"TagSet": [{"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "dev"}]}
    name, got = round_trip("put_bucket_tagging", Bucket="b", Tagging=tagging)
    assert name == "PutBucketTagging"
    assert got["Tagging"] == tagging


@pytest.mark.parametrize(
    "key",
    [
        "with space",
        "ünïcødé/日本語.csv",
        "a/../b",
        "./x/./y",
        "literal%2Fpercent",
        "slash/in/key",
        "trailing/",
        "plus+and&amp;=?#",
        "~tilde*star'quote",
    ],
)
def test_awkward_keys_survive(key: str) -> None:
    name, got = round_trip("get_object", Bucket="b", Key=key)
    assert name == "GetObject"
    assert got["Key"] == key


def test_encoded_slash_in_raw_path_stays_in_the_key() -> None:
    req = WireRequest(method="GET", raw_path="/b/dir%2Fname")
    assert parsed(req) == ("GetObject", {"Bucket": "b", "Key": "dir/name"})
    assert parsed(WireRequest(method="GET", raw_path="/b/"))[0] == "ListObjects"


def test_malformed_xml_is_a_clean_400() -> None:
    req = WireRequest(method="POST", raw_path="/b", query_string="delete", body=b"<Delete><Obj")
    op = resolve_operation(S3, req)
    with pytest.raises(ServiceError) as caught:
        parse_request(S3, op, req)
    assert (caught.value.code, caught.value.status) == ("MalformedXML", 400)


def test_xml_that_misses_required_members_is_malformed() -> None:
    req = WireRequest(method="POST", raw_path="/b", query_string="delete", body=b"")
    with pytest.raises(ServiceError) as caught:
        parse_request(S3, resolve_operation(S3, req), req)
    assert caught.value.code == "MalformedXML"


def test_entity_declarations_are_refused() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "boom">]><Delete>&x;</Delete>'
    req = WireRequest(method="POST", raw_path="/b", query_string="delete", body=body)
    with pytest.raises(ServiceError) as caught:
        parse_request(S3, resolve_operation(S3, req), req)
    assert caught.value.code == "MalformedXML"


def test_wrong_header_type_is_a_validation_error_not_a_crash() -> None:
    req = WireRequest(
        method="GET",
        raw_path="/b/k",
        headers=Headers({"If-Modified-Since": "yesterday-ish"}),
    )
    with pytest.raises(ServiceError) as caught:
        parse_request(S3, resolve_operation(S3, req), req)
    assert caught.value.status == 400
    assert "ifModifiedSince" in caught.value.message


def test_bad_integer_in_query_is_a_400() -> None:
    req = WireRequest(method="GET", raw_path="/b", query_string="list-type=2&max-keys=lots")
    with pytest.raises(ServiceError) as caught:
        parse_request(S3, resolve_operation(S3, req), req)
    assert caught.value.status == 400


def test_unknown_route_is_method_not_allowed_or_invalid_request() -> None:
    with pytest.raises(ServiceError) as caught:
        resolve_operation(S3, WireRequest(method="PATCH", raw_path="/b/k"))
    assert (caught.value.code, caught.value.status) == ("MethodNotAllowed", 405)
    with pytest.raises(ServiceError) as caught:
        resolve_operation(S3, WireRequest(method="POST", raw_path="/"))
    assert caught.value.status in (400, 405)


def test_plain_curl_get_parses_without_any_headers() -> None:
    req = WireRequest(method="GET", raw_path="/bucket/dir/file.csv")
    assert parsed(req) == ("GetObject", {"Bucket": "bucket", "Key": "dir/file.csv"})
