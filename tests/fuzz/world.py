"""A whole platform in the test process, driven through its Dispatcher with `WireRequest`s.

`build_platform` wires exactly what `tsukuru up` serves (same handler maps, same stores, real
model servers and jobs), minus uvicorn: requests go straight to `Dispatcher.handle` on an event
loop in a background thread (an anyio blocking portal), thousands per minute. Authentication is
off so a mutated body is parsed rather than turned away at the signature check; the HTTP layer
(`test_http_fuzz.py`) covers signed requests.

`snapshot()` reads every metadata table and the list of blob files, which is what "state" means
for the rule that a rejected request changes nothing.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anyio.from_thread import BlockingPortal, start_blocking_portal
from sqlalchemy import select

from tests.fuzz.requests import Builder
from tests.protocol.oracle import botocore_reads
from tsukuru.app import Platform, build_platform
from tsukuru.config import load_settings
from tsukuru.protocol.wire import FilePayload, WireRequest, WireResponse
from tsukuru.store.sql.database import Database
from tsukuru.store.sql.tables import metadata as schema

State = dict[str, list[tuple[Any, ...]]]
IN_PROCESS_URL = "http://127.0.0.1:4590"  # what botocore writes as the host; never contacted


class CallFailed(Exception):
    """A seeding call answered with an error."""


def snapshot(database: Database, blobs: Path) -> State:
    """Every row of every metadata table, and every blob file, in a comparable form.

    Log groups under `/aws/` are the platform's own telemetry (a model server logging the bad
    payload it was sent): their streams and events are left out, the groups themselves are not.
    """
    state: State = {}
    with database.read() as connection:
        for table in schema.sorted_tables:
            rows = connection.execute(select(table)).all()
            state[table.name] = sorted((tuple(row) for row in rows), key=repr)
    platform_groups = {row[0] for row in state["log_groups"] if str(row[3]).startswith("/aws/")}
    platform_streams = {row[0] for row in state["log_streams"] if row[1] in platform_groups}
    state["log_streams"] = [row for row in state["log_streams"] if row[0] not in platform_streams]
    state["log_events"] = [row for row in state["log_events"] if row[0] not in platform_streams]
    files = sorted(str(p.relative_to(blobs)) for p in blobs.rglob("*") if p.is_file())
    state["blob files"] = [(name,) for name in files]  # empty fan-out folders are no state
    return state


# Statuses that move on by themselves (a stopping notebook server, a deleting endpoint).
TRANSITIONAL = frozenset(
    {"Pending", "Creating", "Updating", "Deleting", "Stopping", "InProgress", "SystemUpdating"}
)
_STATUS = [column.name for column in schema.tables["resources"].columns].index("status")


def settled(take: Callable[[], State], timeout: float = 30.0) -> State:
    """A snapshot once nothing is moving: no resource in a transitional status and two
    snapshots in a row equal. A request the fuzz let through (and then undid) may leave work
    winding down in the background, which must not be blamed on the next request."""
    deadline = time.monotonic() + timeout
    previous = take()
    while True:
        time.sleep(0.05)
        current = take()
        busy = any(row[_STATUS] in TRANSITIONAL for row in current["resources"])
        if (current == previous and not busy) or time.monotonic() > deadline:
            return current
        previous = current


class StateWatch:
    """Snapshots before each request: settled ones after a success (which may have set work
    going), plain ones after a rejection (which must not have)."""

    def __init__(self, take: Callable[[], State]) -> None:
        self._take = take
        self._moving = True

    def before(self) -> State:
        return settled(self._take) if self._moving else self._take()

    def after(self, status: int) -> State | None:
        """The snapshot to compare with, for a rejected request (None after a success)."""
        self._moving = status < 400
        return None if self._moving else self._take()


def state_difference(before: State, after: State) -> str:
    """What changed between two snapshots, table by table ("" when nothing did)."""
    lines = []
    for table in sorted(set(before) | set(after)):
        old = {repr(row) for row in before.get(table, [])}  # rows hold JSON dicts: compare text
        new = {repr(row) for row in after.get(table, [])}
        lines += [f"{table}: - {row:.300}" for row in sorted(old - new)[:3]]
        lines += [f"{table}: + {row:.300}" for row in sorted(new - old)[:3]]
    return "\n".join(lines)


def read_body(response: WireResponse) -> bytes:
    body = response.body
    if isinstance(body, FilePayload):
        with open(body.path, "rb") as handle:
            handle.seek(body.offset)
            return handle.read() if body.length is None else handle.read(body.length)
    return body


@dataclass
class InProcessPlatform:
    platform: Platform
    portal: BlockingPortal
    builder: Builder

    def send(self, request: WireRequest) -> WireResponse:
        return self.portal.call(self.platform.dispatcher.handle, request)

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """A valid call, as boto3 would make it; its parsed output, or CallFailed."""
        request = self.builder.build(service, operation, params)
        if request is None:
            raise CallFailed(f"botocore would not build {operation}({params})")
        response = self.send(request)
        if response.status >= 300:
            raise CallFailed(f"{operation} answered {response.status}: {read_body(response)!r}")
        return botocore_reads(service, operation, response)

    def snapshot(self) -> State:
        return snapshot(self.platform.metadata.database, self.platform.settings.home / "blobs")

    def operations(self) -> dict[str, list[str]]:
        """Service → every operation the platform serves (the dispatcher's handler maps)."""
        handlers = self.platform.dispatcher.handlers
        return {service: sorted(ops) for service, ops in handlers.items()}


@contextmanager
def in_process_platform(home: Path | None = None) -> Iterator[InProcessPlatform]:
    """A started platform in `home` (a fresh temporary folder by default), closed on exit."""
    with ExitStack() as stack:
        if home is None:
            home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tsukuru-fuzz-")))
        settings = load_settings(home=home, auth=False, environ=_environment())
        platform = build_platform(settings)
        stack.callback(platform.close)
        platform.start()
        portal = stack.enter_context(start_blocking_portal())
        yield InProcessPlatform(platform, portal, Builder(IN_PROCESS_URL))


def _environment() -> dict[str, str]:
    """The process environment without TSUKURU_* settings, so the test's platform is its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TSUKURU_")}
