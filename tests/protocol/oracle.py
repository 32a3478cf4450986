"""botocore as the test oracle: real clients build requests, botocore's parsers read responses.

`capture()` runs a real botocore client call and stops it at `before-send`, returning the signed
HTTP request as a `WireRequest`, so a parser test compares against exactly what boto3 would put
on the wire. `botocore_reads()` hands a `WireResponse` to botocore's own response parser.
"""

from __future__ import annotations

import io
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.awsrequest import AWSPreparedRequest
from botocore.config import Config
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from urllib3 import HTTPHeaderDict

from tsukuru.protocol.specs import service_model
from tsukuru.protocol.wire import FilePayload, Headers, WireRequest, WireResponse

ENDPOINT = "http://localhost:4590"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "eu-west-1"


class _StopSending(Exception):
    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


class _EmptyRaw:
    def stream(self, **_: Any) -> Any:
        return iter([b""])


@cache
def client(service: str, region: str = REGION, endpoint: str = ENDPOINT, **config: Any) -> Any:
    session = botocore.session.get_session()
    made = session.create_client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1}, **config),
    )
    made.meta.events.register("before-send", _capture)
    return made


def _capture(request: AWSPreparedRequest, **_: Any) -> Any:
    raise _StopSending(request)


def to_wire(request: AWSPreparedRequest) -> WireRequest:
    parts = urlsplit(request.url)
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = [
        (name, value.decode("utf-8") if isinstance(value, bytes) else str(value))
        for name, value in request.headers.items()
    ]
    return WireRequest(
        method=request.method,
        raw_path=parts.path or "/",
        query_string=parts.query,
        headers=Headers(headers),
        body=body or b"",
    )


def capture(
    service: str, method: str, *, region: str = REGION, endpoint: str = ENDPOINT, **params: Any
) -> WireRequest:
    """The request a real botocore client sends for `client.<method>(**params)`.

    Over an `https://` endpoint botocore streams S3 uploads as aws-chunked bodies.
    """
    try:
        getattr(client(service, region, endpoint), method)(**params)
    except _StopSending as stopped:
        return to_wire(stopped.request)
    raise AssertionError("the client never sent a request")


def botocore_reads(service: str, operation: str, response: WireResponse) -> dict[str, Any]:
    """What botocore's response parser makes of our response (errors included)."""
    model = service_model(service)
    op = model.operation_model(operation)
    body = response.body
    if isinstance(body, FilePayload):
        with open(body.path, "rb") as handle:
            handle.seek(body.offset)
            body = handle.read() if body.length is None else handle.read(body.length)
    streaming = op.has_streaming_output and response.status < 300
    response_dict = {
        "status_code": response.status,
        "headers": HTTPHeaderDict(response.headers),
        # as botocore's endpoint does: a streaming payload stays a stream
        "body": StreamingBody(io.BytesIO(body), len(body)) if streaming else body,
        "context": {"operation_name": operation},
    }
    parser = create_parser(model.protocol)
    parsed: dict[str, Any] = parser.parse(response_dict, op.output_shape)
    if streaming and op.output_shape.serialization.get("payload") in parsed:
        payload = op.output_shape.serialization["payload"]
        parsed[payload] = parsed[payload].read()
    if response.status >= 300 and "Error" in parsed:
        code = parsed["Error"].get("Code")
        error_shape = model.shape_for_error_code(code) if code else None
        if error_shape is not None:
            modeled = parser.parse(response_dict, error_shape)
            parsed["Error"].update({k: v for k, v in modeled.items() if k != "ResponseMetadata"})
    return parsed
