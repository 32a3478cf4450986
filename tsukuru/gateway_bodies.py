"""Taking request bodies off the wire without holding gigabytes in memory.

S3 accepts a single PUT of up to 5 GiB; read whole, that is 5 GiB of RAM per request. So a body
larger than `threshold` (16 MiB: s3transfer's 8 MiB parts and every other AWS call stay in
memory) is written to a file of its own under `folder` as it arrives — the blob store's
temporary folder, on the same disk as the objects and cleaned at start-up, so a platform killed
mid-upload leaves nothing behind — and reaches the protocol layer as a `SpooledBody`.

Two bodies are refused rather than read: one that declares more than `max_size` bytes (S3's
5 GiB; the dispatcher answers `EntityTooLarge` before the client sends a byte when it asked
`Expect: 100-continue`), and one the disk has no room for (the rest of it is read and dropped,
so that the client gets the answer instead of a broken connection).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
from starlette.requests import Request

from tsukuru.protocol.errors import BodyTooLarge
from tsukuru.protocol.wire import SpooledBody

MIB = 1024 * 1024
SPOOL_THRESHOLD = 16 * MIB
MAX_BODY = 5 * 1024**3  # S3's largest single PUT (and part)
WRITE_BATCH = 4 * MIB  # bytes gathered before one write in a worker thread
# aws-chunked framing adds ~90 bytes per chunk on top of the declared decoded size
FRAMING_ALLOWANCE = 64 * MIB


@dataclass(frozen=True)
class BodyIntake:
    """Where and above which size bodies are spooled, and the largest body accepted."""

    folder: Path | None = None  # None: every body is read into memory
    threshold: int = SPOOL_THRESHOLD
    max_size: int = MAX_BODY


@dataclass
class ReceivedBody:
    body: bytes = b""
    spooled: SpooledBody | None = None
    error: Exception | None = None
    folder: str | None = None  # the request's own spool folder, removed by `discard`

    async def discard(self) -> None:
        if self.folder is not None:
            await anyio.to_thread.run_sync(shutil.rmtree, self.folder, True)


def declared_size(request: Request) -> int | None:
    """The body size the client announced: the decoded size of an aws-chunked body, else
    Content-Length; None when neither is a number."""
    for name in ("x-amz-decoded-content-length", "content-length"):
        value = request.headers.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return None


async def receive_body(request: Request, intake: BodyIntake) -> ReceivedBody:
    declared = declared_size(request)
    if declared is not None and declared > intake.max_size:
        return ReceivedBody(error=BodyTooLarge(declared, intake.max_size))
    length = request.headers.get("content-length", "").strip()
    if intake.folder is None or (length.isdigit() and int(length) <= intake.threshold):
        return ReceivedBody(body=await request.body())
    return await _spool(request, intake, intake.folder)


async def _spool(request: Request, intake: BodyIntake, root: Path) -> ReceivedBody:
    """Memory up to the threshold, then a file; the result's `folder` is the file's folder."""
    received = ReceivedBody()
    pending = bytearray()
    total = 0
    out: BinaryIO | None = None
    stream = request.stream()
    try:
        async for chunk in stream:
            total += len(chunk)
            if total > intake.max_size + FRAMING_ALLOWANCE:
                received.error = BodyTooLarge(total, intake.max_size)
                break
            pending += chunk
            if out is None and total <= intake.threshold:
                continue
            if len(pending) >= WRITE_BATCH:
                if out is None:
                    out = await anyio.to_thread.run_sync(_open_spool, root, received)
                await anyio.to_thread.run_sync(out.write, bytes(pending))
                pending.clear()
        if received.error is None:
            if out is None and total <= intake.threshold:
                received.body = bytes(pending)
                return received
            if out is None:
                out = await anyio.to_thread.run_sync(_open_spool, root, received)
            await anyio.to_thread.run_sync(out.write, bytes(pending))
            await anyio.to_thread.run_sync(out.flush)
            received.spooled = SpooledBody(out.name, total)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            await received.discard()
            raise
        received.error = exc
        async for _ in stream:  # let the client finish sending, so it reads our answer
            pass
    except BaseException:
        await received.discard()
        raise
    finally:
        if out is not None:
            await anyio.to_thread.run_sync(out.close)
    if received.error is not None:
        await received.discard()
        received.folder = None
        received.spooled = None
    return received


def _open_spool(root: Path, received: ReceivedBody) -> BinaryIO:
    root.mkdir(parents=True, exist_ok=True)
    folder = tempfile.mkdtemp(prefix="request-", dir=root)
    received.folder = folder
    try:
        return open(os.path.join(folder, "body"), "wb")
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(folder)
        raise
