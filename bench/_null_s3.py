"""A server that answers boto3's S3 transfer calls while storing nothing: the client's ceiling.

`s3_throughput` compares boto3 `upload_file`/`download_file` with `shutil.copyfile`. The boto3
side has a cost of its own (s3transfer's threads, SigV4's SHA-256 of every part over plain
HTTP, the CRC32 checksum, http.client reading and writing in Python), which no server can
remove. This server measures it: a bare ASGI callable on uvicorn that discards PUT bodies,
answers the multipart calls with fixed ids, and serves GETs and ranged GETs from one file in
the page cache. What boto3 reaches against it is the best any S3 server could do on this
machine with this client, so the benchmark prints it beside the targets.

`python -m bench._null_s3 --port P --file F` runs it (one worker, uvloop + httptools, as the
platform's gateway runs).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CHUNK = 4 * 1024 * 1024
_RANGE = re.compile(rb"bytes=(\d+)-(\d*)")
_CREATED = (
    b'<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>b</Bucket>'
    b"<Key>k</Key><UploadId>upload-1</UploadId></InitiateMultipartUploadResult>"
)
_COMPLETED = (
    b'<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>b</Bucket>'
    b'<Key>k</Key><ETag>"0-1"</ETag></CompleteMultipartUploadResult>'
)


def build_app(path: str) -> Callable[[Message, Receive, Send], Awaitable[None]]:
    size = os.path.getsize(path)
    common = [(b"etag", b'"0-1"'), (b"last-modified", b"Sun, 29 Nov 2026 00:00:00 GMT")]

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass  # a PUT body is read and dropped
        method, query = scope["method"], scope["query_string"]
        if method in ("GET", "HEAD"):
            await _serve_file(scope, send, path, size, common)
            return
        body = b""
        if method == "POST":
            body = _CREATED if b"uploads" in query else _COMPLETED
        headers = [(b"content-length", b"%d" % len(body)), *common]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


async def _serve_file(
    scope: Message, send: Send, path: str, size: int, common: list[tuple[bytes, bytes]]
) -> None:
    start, end = 0, size - 1
    wanted = dict(scope["headers"]).get(b"range")
    found = _RANGE.match(wanted) if wanted else None
    if found is not None:
        start = int(found.group(1))
        end = min(int(found.group(2)), size - 1) if found.group(2) else size - 1
    headers = [(b"content-length", b"%d" % (end - start + 1)), *common]
    if found is not None:
        headers.append((b"content-range", b"bytes %d-%d/%d" % (start, end, size)))
    status = 206 if found is not None else 200
    await send({"type": "http.response.start", "status": status, "headers": headers})
    if scope["method"] == "HEAD":
        await send({"type": "http.response.body", "body": b""})
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        position = start
        while position <= end:
            chunk = os.pread(fd, min(CHUNK, end + 1 - position), position)
            position += len(chunk)
            more = position <= end and bool(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": more})
            if not chunk:
                break
    finally:
        os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", required=True)
    args = parser.parse_args()
    uvicorn.run(
        build_app(args.file),
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
