"""`/` is shared by S3's ListBuckets and the console: signed requests are AWS, browsers are not."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from tests.conftest import make_client
from tests.console.world import World
from tests.harness import RunningPlatform
from tsukuru.gateway import build_gateway, is_signed
from tsukuru.protocol.wire import WireRequest, WireResponse


@pytest.fixture
def gateway(world: World) -> tuple[TestClient, list[WireRequest]]:
    seen: list[WireRequest] = []

    async def dispatch(request: WireRequest) -> WireResponse:
        seen.append(request)
        return WireResponse(200, {"content-type": "application/xml"}, b"<aws/>")

    app = build_gateway(dispatch, console=world.console)
    client = TestClient(app, base_url="http://127.0.0.1:4590", client=("127.0.0.1", 1))
    return client, seen


def _scope(headers: dict[str, str], query: str = "") -> dict[str, Any]:
    return {
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "query_string": query.encode(),
    }


def test_what_counts_as_signed() -> None:
    assert is_signed(_scope({"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/..."}))
    assert is_signed(_scope({"Authorization": "AWS AKID:signature"}))  # SigV2
    assert is_signed(_scope({"X-Amz-Date": "20260101T000000Z"}))
    assert is_signed(_scope({}, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a"))
    assert is_signed(_scope({}, "AWSAccessKeyId=AKID&Signature=x&Expires=1"))
    assert not is_signed(_scope({"Accept": "text/html", "User-Agent": "Mozilla/5.0"}))
    assert not is_signed(_scope({"Authorization": "Basic dXNlcjpwYXNz"}))  # console login
    assert not is_signed(_scope({}, "prefix=a%2F&lang=ja"))


def test_browser_root_gets_the_console(gateway: tuple[TestClient, list[WireRequest]]) -> None:
    client, seen = gateway
    response = client.get("/", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Dashboard</h1>" in response.text
    assert seen == []


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/x"}, ""),
        ({"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, ""),
        ({}, "X-Amz-Signature=abc&X-Amz-Credential=AKID"),
    ],
)
def test_signed_root_is_s3_list_buckets(
    gateway: tuple[TestClient, list[WireRequest]], headers: dict[str, str], query: str
) -> None:
    client, seen = gateway
    response = client.get(f"/?{query}" if query else "/", headers=headers)
    assert response.text == "<aws/>"
    assert [(r.method, r.raw_path) for r in seen] == [("GET", "/")]


def test_other_methods_and_paths_stay_aws(gateway: tuple[TestClient, list[WireRequest]]) -> None:
    client, seen = gateway
    assert client.post("/", content=b"Action=GetCallerIdentity").text == "<aws/>"
    assert client.get("/some-bucket?list-type=2").text == "<aws/>"
    assert client.put("/some-bucket/key", content=b"x").text == "<aws/>"
    assert [r.method for r in seen] == ["POST", "GET", "PUT"]


def test_console_pages_live_under_their_prefix(
    gateway: tuple[TestClient, list[WireRequest]],
) -> None:
    client, seen = gateway
    assert "<h1>Buckets</h1>" in client.get("/_console/buckets").text
    assert client.get("/_console/static/console.css").status_code == 200
    assert seen == []


def test_real_platform_serves_both(platform: RunningPlatform) -> None:
    """The running gateway: boto3's ListBuckets and a browser's GET / side by side."""
    buckets = make_client(platform, "s3").list_buckets()
    assert "Buckets" in buckets
    page = httpx.get(f"{platform.endpoint_url}/", headers={"accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'href="/_console/buckets"' in page.text
