"""End to end: fuzzed requests over HTTP to a real, authenticated `tsukuru up` process.

Smaller than the in-process run, but through everything the in-process run skips: uvicorn's
HTTP parsing, the gateway, signature verification (each case is re-signed with the platform's
own keys unless it is a mutation of the signing itself). No answer may be a 500, a rejected
request may not change the database or the blob folder, and the platform must still be healthy
and serving at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore import xform_name
from botocore.credentials import Credentials
from hypothesis import given, reject
from hypothesis import strategies as st

from tests.fuzz.checks import problems, report, undo
from tests.fuzz.over_http import send, signed, touches_signing
from tests.fuzz.profiles import fuzz_settings, timeout_marker
from tests.fuzz.requests import Builder, FuzzCase, fuzz_cases
from tests.fuzz.seed import seed
from tests.fuzz.shapes import Hints
from tests.fuzz.world import StateWatch, snapshot, state_difference
from tests.harness import RunningPlatform, make_client, start_platform
from tsukuru.store.sql.database import Database, sqlite_url

pytestmark = pytest.mark.slow


@dataclass
class HttpWorld:
    platform: RunningPlatform
    http: httpx.Client
    builder: Builder
    keys: Credentials
    hints: Hints
    operations: list[tuple[str, str]]
    database: Database
    clients: dict[str, Any]

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        if service not in self.clients:
            self.clients[service] = make_client(self.platform, service)
        result: dict[str, Any] = getattr(self.clients[service], xform_name(operation))(**params)
        return result

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        return snapshot(self.database, self.platform.home / "blobs")


def served_operations(platform: RunningPlatform) -> list[tuple[str, str]]:
    """What the platform process serves, read the way the process builds it."""
    from tests.fuzz.world import in_process_platform

    with in_process_platform(platform.home.parent / "enumerate") as world:
        operations = world.operations()
    return [(service, name) for service, names in operations.items() for name in names]


@pytest.fixture(scope="module")
def http_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpWorld]:
    home = tmp_path_factory.mktemp("fuzz-http") / "home"
    platform = start_platform(home)
    database = Database(sqlite_url(Path(home) / "metadata.db"))
    try:
        keys = platform.credentials
        credentials = Credentials(keys.access_key_id, keys.secret_access_key)
        builder = Builder(platform.endpoint_url, keys.access_key_id, keys.secret_access_key)
        with httpx.Client(timeout=60) as http:
            world = HttpWorld(
                platform,
                http,
                builder,
                credentials,
                {},
                served_operations(platform),
                database,
                {},
            )
            world.hints = seed(world.call)
            yield world
    finally:
        database.dispose()
        platform.stop()


def http_cases(world: HttpWorld) -> st.SearchStrategy[tuple[FuzzCase, bool]]:
    operation = st.sampled_from(world.operations)
    case = operation.flatmap(lambda pair: fuzz_cases(world.builder, *pair, world.hints))
    return st.tuples(case, st.booleans())


@timeout_marker()
def test_fuzzed_requests_over_http(http_world: HttpWorld) -> None:
    world = http_world
    watch = StateWatch(world.snapshot)

    @fuzz_settings("http")
    @given(drawn=http_cases(world))
    def run(drawn: tuple[FuzzCase, bool]) -> None:
        case, stale_signature = drawn
        request = case.request
        if not (touches_signing(case) or (stale_signature and case.how != "valid")):
            request = signed(request, case.service, world.keys, world.platform.endpoint_url)
        before = watch.before()
        response = send(world.http, request, world.platform.endpoint_url)
        if response is None:
            reject()  # httpx would not send it (a header name that is not a token)
        assert isinstance(response.body, bytes)
        sent = FuzzCase(case.service, case.operation, request, case.how, case.must_fail)
        undo(case, response.status, world.call)
        found = problems(sent, response, response.body)
        after = watch.after(response.status)
        if after is not None:
            changed = state_difference(before, after)
            if changed:
                found.append(f"rejected ({response.status}) but changed state:\n{changed}")
        assert world.platform.process.poll() is None, "the platform process died"
        assert not found, report(sent, response, response.body, found)

    run()
    health = world.http.get(f"{world.platform.endpoint_url}/_tsukuru/health")
    assert health.status_code == 200
    assert world.call("s3", "ListBuckets")["Buckets"]
