"""Who may use the console, and that no destructive form is accepted without its CSRF token."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from tests.console.conftest import csrf_of
from tests.console.world import BUCKET, World, build_world
from tsukuru.console import ConsoleAuth
from tsukuru.console.guard import CSRF_COOKIE, is_loopback


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("127.0.1.1")
    assert is_loopback("::1")
    assert is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("10.0.0.5")
    assert not is_loopback("testclient")
    assert not is_loopback(None)


def test_other_machines_are_refused_without_auth(world: World) -> None:
    response = world.client(host="192.168.1.20").get("/buckets")
    assert response.status_code == 403
    assert "loopback" in response.text
    assert BUCKET not in response.text


def test_other_machines_sign_in_with_the_platform_key(tmp_path: Path) -> None:
    auth = ConsoleAuth(check=lambda user, password: (user, password) == ("AKID", "secret"))
    world = build_world(tmp_path, auth=auth)
    remote = world.client(host="192.168.1.20")
    refused = remote.get("/buckets")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic ")
    assert (
        remote.get("/buckets", headers={"authorization": _basic("AKID", "wrong")}).status_code
        == 401
    )
    allowed = remote.get("/buckets", headers={"authorization": _basic("AKID", "secret")})
    assert allowed.status_code == 200
    assert BUCKET in allowed.text


def test_loopback_needs_no_login_but_a_local_host_name(world: World) -> None:
    local = world.client()
    assert local.get("/buckets").status_code == 200
    assert local.get("/buckets", headers={"host": "localhost:4590"}).status_code == 200
    assert local.get("/buckets", headers={"host": "[::1]:4590"}).status_code == 200
    # a page of evil.example that resolved its name to 127.0.0.1 (DNS rebinding)
    rebound = local.get("/buckets", headers={"host": "evil.example:4590"})
    assert rebound.status_code == 403


def test_pages_carry_security_headers_and_the_csrf_cookie(world: World) -> None:
    response = world.client().get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=")
    assert "SameSite=Strict" in cookie
    assert "HttpOnly" in cookie


def test_a_post_without_the_token_is_refused(client: TestClient, world: World) -> None:
    response = client.post(f"/buckets/{BUCKET}/delete")
    assert response.status_code == 403
    assert world.services.objects.get_bucket(BUCKET)  # still there


def test_a_post_with_another_token_is_refused(client: TestClient, world: World) -> None:
    response = client.post(f"/buckets/{BUCKET}/delete", data={"csrf_token": "x" * 43})
    assert response.status_code == 403
    assert world.services.objects.get_bucket(BUCKET)


def test_a_post_from_another_origin_is_refused(client: TestClient, world: World) -> None:
    token = csrf_of(client)
    response = client.post(
        f"/buckets/{BUCKET}/delete",
        data={"csrf_token": token},
        headers={"origin": "http://evil.example"},
    )
    assert response.status_code == 403
    assert world.services.objects.get_bucket(BUCKET)


def test_a_post_without_the_cookie_is_refused(world: World) -> None:
    """A form on another site cannot send the SameSite=Strict cookie; the token alone fails."""
    first = world.client()
    token = csrf_of(first)
    stranger = world.client()
    response = stranger.post(f"/buckets/{BUCKET}/delete", data={"csrf_token": token})
    assert response.status_code == 403


def test_the_token_header_works_for_scripts(client: TestClient, world: World) -> None:
    token = csrf_of(client)
    response = client.post(
        "/buckets", data={"name": "from-script"}, headers={"x-csrf-token": token}
    )
    assert response.status_code == 303
    assert world.services.objects.get_bucket("from-script")


def _post_routes(routes: list[BaseRoute], prefix: str = "") -> list[str]:
    found = []
    for route in routes:
        if isinstance(route, Mount):
            found += _post_routes(list(route.routes), prefix + route.path)
        elif isinstance(route, Route) and "POST" in (route.methods or ()):
            found.append(prefix + route.path)
    return found


def test_every_post_route_checks_the_token(client: TestClient, world: World) -> None:
    paths = _post_routes(list(world.console.routes))
    assert len(paths) >= 12
    for path in paths:
        concrete = path.replace("{bucket}", BUCKET).replace("{name}", "x").replace("{lang}", "en")
        response = client.post(concrete, data={"name": "x", "key": "x", "item": "Bucket:x"})
        assert response.status_code == 403, path


@pytest.mark.parametrize("host", ["203.0.113.9", "10.1.2.3"])
def test_static_files_are_guarded_too(world: World, host: str) -> None:
    assert world.client(host=host).get("/static/console.js").status_code == 403
