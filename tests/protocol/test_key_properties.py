"""Property: any S3 key a client can send survives the wire in both directions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.protocol.oracle import botocore_reads, capture
from tsukuru.protocol.parse import parse_request, resolve_operation
from tsukuru.protocol.serialize import serialize_response
from tsukuru.protocol.specs import service_model

S3 = service_model("s3")
# XML 1.0 cannot carry control characters or surrogates; S3 keys are UTF-8 up to 1024 bytes.
KEYS = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=120)


@settings(max_examples=150, deadline=None)
@given(key=KEYS)
def test_keys_in_the_path_round_trip(key: str) -> None:
    req = capture("s3", "put_object", Bucket="bucket", Key=key, Body=b"x")
    op = resolve_operation(S3, req)
    assert op.name == "PutObject"
    assert parse_request(S3, op, req)["Key"] == key


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(KEYS, min_size=1, max_size=5))
def test_keys_in_xml_bodies_round_trip(keys: list[str]) -> None:
    delete = {"Objects": [{"Key": key} for key in keys]}
    req = capture("s3", "delete_objects", Bucket="bucket", Delete=delete)
    op = resolve_operation(S3, req)
    assert parse_request(S3, op, req)["Delete"] == delete
    output = {"Deleted": [{"Key": key} for key in keys]}
    response = serialize_response(S3, op, output, request_id="r", method="POST")
    parsed = botocore_reads("s3", "DeleteObjects", response)
    assert parsed["Deleted"] == output["Deleted"]
