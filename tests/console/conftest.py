"""Fixtures of the console's page tests: a console over real domain services (`world.py`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from httpx import Response
from starlette.testclient import TestClient

from tests.console.world import World, build_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return build_world(tmp_path)


@pytest.fixture
def client(world: World) -> TestClient:
    """A loopback browser that has opened the console once (so it holds the CSRF cookie)."""
    browser = world.client()
    assert browser.get("/").status_code == 200
    return browser


def csrf_of(client: TestClient) -> str:
    """The form token the console put in its pages (the same as the cookie)."""
    page = client.get("/").text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert match, "every page carries the form token"
    return match.group(1)


def follow(client: TestClient, response: Response) -> Response:
    """Load the page a 303 points at (its Location is an absolute path on the gateway)."""
    assert response.status_code == 303, response.text
    page: Response = client.get(f"http://127.0.0.1:4590{response.headers['location']}")
    return page
