"""Large bodies on disk through the wire pipeline, and bodies the gateway refused.

A body spooled to a file reaches a blob-payload handler (PutObject, UploadPart) as the file,
aws-chunked framing is removed from file to file, a document that happened to be spooled is
parsed as usual, and refusals (too large, disk full) come back in each protocol's error shape.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio

from tests.protocol.oracle import botocore_reads, capture
from tsukuru.protocol.context import Handler, RequestContext
from tsukuru.protocol.dispatch import Dispatcher
from tsukuru.protocol.errors import BodyTooLarge, is_storage_full
from tsukuru.protocol.sigv4 import SigV4Credential
from tsukuru.protocol.sigv4_verify import body_sha256
from tsukuru.protocol.wire import SpooledBody, WireRequest, WireResponse

DATA = bytes(range(256)) * 4096  # 1 MiB


def identify(cred: SigV4Credential | None) -> tuple[str, str]:
    return "123456789012", "us-east-1"


def handle(handlers: dict[str, dict[str, Handler]], req: WireRequest) -> WireResponse:
    dispatcher = Dispatcher(handlers, identify, lambda exc: None, logging.getLogger("tests"))

    async def run() -> WireResponse:
        return await dispatcher.handle(req)

    return anyio.run(run)


def spool(req: WireRequest, folder: Path) -> WireRequest:
    path = folder / "body"
    path.write_bytes(req.body)
    return replace(req, body=b"", spooled=SpooledBody(str(path), len(req.body)))


def recording(seen: list[dict[str, Any]], output: dict[str, Any]) -> Handler:
    def handler(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        body = params.get("Body")
        if isinstance(body, SpooledBody):
            params = {**params, "Body": (body.path, b"".join(body))}
        seen.append(params)
        return output

    return handler


def test_a_spooled_put_reaches_the_handler_as_its_file(tmp_path: Path) -> None:
    req = spool(capture("s3", "put_object", Bucket="bkt", Key="k", Body=DATA), tmp_path)
    seen: list[dict[str, Any]] = []
    response = handle({"s3": {"PutObject": recording(seen, {"ETag": '"e"'})}}, req)
    assert response.status == 200
    path, body = seen[0]["Body"]
    assert path == str(tmp_path / "body")
    assert body == DATA


def test_aws_chunked_framing_is_removed_file_to_file(tmp_path: Path) -> None:
    framed = capture(
        "s3",
        "upload_part",
        endpoint="https://s3.example",  # botocore frames uploads as aws-chunked over https
        Bucket="bkt",
        Key="k",
        UploadId="u",
        PartNumber=1,
        Body=DATA,
    )
    assert framed.headers.get("Content-Encoding") == "aws-chunked"
    seen: list[dict[str, Any]] = []
    handlers = {"s3": {"UploadPart": recording(seen, {"ETag": '"e"'})}}
    response = handle(handlers, spool(framed, tmp_path))
    assert response.status == 200, response.body
    path, body = seen[0]["Body"]
    assert path == str(tmp_path / "body.decoded")
    assert body == DATA


def test_a_spooled_document_is_parsed_as_usual(tmp_path: Path) -> None:
    keys = [{"Key": f"key-{i}"} for i in range(3)]
    req = spool(capture("s3", "delete_objects", Bucket="bkt", Delete={"Objects": keys}), tmp_path)
    seen: list[dict[str, Any]] = []
    response = handle({"s3": {"DeleteObjects": recording(seen, {})}}, req)
    assert response.status == 200
    assert seen[0]["Delete"]["Objects"] == keys


def test_the_payload_hash_of_a_spooled_body_is_the_same(tmp_path: Path) -> None:
    req = capture("s3", "put_object", Bucket="bkt", Key="k", Body=DATA)
    assert body_sha256(spool(req, tmp_path)) == body_sha256(req) == hashlib.sha256(DATA).hexdigest()


def test_a_body_too_large_is_entity_too_large_in_s3() -> None:
    req = capture("s3", "put_object", Bucket="bkt", Key="k", Body=b"")
    response = handle({}, replace(req, body_error=BodyTooLarge(6 * 1024**3, 5 * 1024**3)))
    assert response.status == 400
    parsed = botocore_reads("s3", "PutObject", response)
    assert parsed["Error"]["Code"] == "EntityTooLarge"
    assert parsed["Error"]["ProposedSize"] == str(6 * 1024**3)
    assert parsed["Error"]["MaxSizeAllowed"] == str(5 * 1024**3)


def test_a_body_too_large_elsewhere_is_a_413() -> None:
    req = capture("sagemaker-runtime", "invoke_endpoint", EndpointName="e", Body=b"")
    response = handle({}, replace(req, body_error=BodyTooLarge(10, 5)))
    assert response.status == 413
    assert botocore_reads("sagemaker-runtime", "InvokeEndpoint", response)["Error"]["Code"] == (
        "RequestEntityTooLarge"
    )


def test_a_full_disk_while_spooling_is_insufficient_storage() -> None:
    req = capture("s3", "put_object", Bucket="bkt", Key="k", Body=b"")
    full = OSError(errno.ENOSPC, "No space left on device")
    response = handle({}, replace(req, body_error=full))
    assert response.status == 507
    parsed = botocore_reads("s3", "PutObject", response)
    assert parsed["Error"]["Code"] == "InsufficientStorage"
    assert "disk is full" in parsed["Error"]["Message"]


def test_a_full_disk_in_a_handler_is_insufficient_storage() -> None:
    def put(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        try:
            raise sqlite3.OperationalError("database or disk is full")
        except sqlite3.OperationalError as exc:
            raise RuntimeError("commit failed") from exc

    req = capture("s3", "put_object", Bucket="bkt", Key="k", Body=b"x")
    response = handle({"s3": {"PutObject": put}}, req)
    assert response.status == 507
    req = capture("sagemaker", "list_models")

    def list_models(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        raise OSError(errno.ENOSPC, "No space left on device")

    response = handle({"sagemaker": {"ListModels": list_models}}, req)
    assert response.status == 507
    assert botocore_reads("sagemaker", "ListModels", response)["Error"]["Code"] == (
        "InsufficientStorage"
    )


def test_only_a_full_disk_counts_as_one() -> None:
    assert is_storage_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert not is_storage_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_storage_full(ValueError("no"))
