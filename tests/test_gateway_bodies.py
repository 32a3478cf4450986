"""Request bodies at the gateway: small ones in memory, large ones spooled to a file that is gone
after the response, oversized ones refused unread, and a full disk reported, not crashed on."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import tsukuru.gateway_bodies as bodies
from tsukuru.gateway import build_gateway
from tsukuru.gateway_bodies import BodyIntake
from tsukuru.protocol.errors import BodyTooLarge
from tsukuru.protocol.wire import WireRequest, WireResponse

THRESHOLD = 64 * 1024
LIMIT = 1024 * 1024


class Recorder:
    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def dispatch(self, req: WireRequest) -> WireResponse:
        spooled = req.spooled
        self.seen.append(
            {
                "body": req.body,
                "path": spooled.path if spooled else None,
                "spooled": b"".join(spooled) if spooled else None,
                "size": spooled.size if spooled else None,
                "error": req.body_error,
            }
        )
        return WireResponse(200, body=b"ok")


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[TestClient, Recorder, Path]]:
    recorder = Recorder()
    folder = tmp_path / "spool"
    intake = BodyIntake(folder=folder, threshold=THRESHOLD, max_size=LIMIT)
    with TestClient(build_gateway(recorder.dispatch, intake=intake)) as client:
        yield client, recorder, folder


def leftovers(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_a_small_body_stays_in_memory(gateway: tuple[TestClient, Recorder, Path]) -> None:
    client, recorder, folder = gateway
    assert client.put("/bkt/key", content=b"small").status_code == 200
    assert recorder.seen[0]["body"] == b"small"
    assert recorder.seen[0]["path"] is None
    assert leftovers(folder) == []


def test_a_large_body_is_spooled_and_removed_after_the_response(
    gateway: tuple[TestClient, Recorder, Path],
) -> None:
    client, recorder, folder = gateway
    data = os.urandom(5 * THRESHOLD)
    assert client.put("/bkt/key", content=data).status_code == 200
    seen = recorder.seen[0]
    assert seen["body"] == b""
    assert seen["spooled"] == data
    assert seen["size"] == len(data)
    assert Path(seen["path"]).is_relative_to(folder)
    assert leftovers(folder) == []


def test_a_body_without_a_length_is_spooled_once_it_grows(
    gateway: tuple[TestClient, Recorder, Path],
) -> None:
    client, recorder, folder = gateway
    pieces = [os.urandom(THRESHOLD // 2) for _ in range(5)]
    assert client.put("/bkt/key", content=iter(pieces)).status_code == 200
    assert recorder.seen[0]["spooled"] == b"".join(pieces)
    small = [b"a" * 10, b"b" * 10]
    assert client.put("/bkt/key", content=iter(small)).status_code == 200
    assert recorder.seen[1]["body"] == b"".join(small)
    assert leftovers(folder) == []


def test_a_declared_size_over_the_limit_is_refused_unread(
    gateway: tuple[TestClient, Recorder, Path],
) -> None:
    client, recorder, _folder = gateway
    headers = {"X-Amz-Decoded-Content-Length": str(LIMIT + 1)}
    assert client.put("/bkt/key", content=b"x" * 100, headers=headers).status_code == 200
    error = recorder.seen[0]["error"]
    assert isinstance(error, BodyTooLarge)
    assert (error.size, error.limit) == (LIMIT + 1, LIMIT)
    assert recorder.seen[0]["body"] == b""


def test_a_stream_that_outgrows_the_limit_is_refused(
    gateway: tuple[TestClient, Recorder, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, recorder, folder = gateway
    monkeypatch.setattr(bodies, "FRAMING_ALLOWANCE", 0)
    pieces = (b"z" * THRESHOLD for _ in range(LIMIT // THRESHOLD + 2))
    assert client.put("/bkt/key", content=pieces).status_code == 200
    assert isinstance(recorder.seen[0]["error"], BodyTooLarge)
    assert leftovers(folder) == []


def test_a_full_disk_while_spooling_is_reported_to_the_dispatcher(
    gateway: tuple[TestClient, Recorder, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, recorder, folder = gateway
    real_open = bodies._open_spool

    def open_then_fill(root: Path, received: bodies.ReceivedBody) -> Any:
        handle = real_open(root, received)

        class Full:
            name = handle.name

            def write(self, data: bytes) -> int:
                raise OSError(errno.ENOSPC, "No space left on device")

            def flush(self) -> None:
                handle.flush()

            def close(self) -> None:
                handle.close()

        return Full()

    monkeypatch.setattr(bodies, "_open_spool", open_then_fill)
    response = client.put("/bkt/key", content=os.urandom(10 * THRESHOLD))
    assert response.status_code == 200
    error = recorder.seen[0]["error"]
    assert isinstance(error, OSError)
    assert error.errno == errno.ENOSPC
    assert recorder.seen[0]["path"] is None
    assert leftovers(folder) == []
