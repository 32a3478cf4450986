"""A small real model server for the host's own tests: same CLI as `tsukuru.runtime.serve`.

It starts in a fraction of the time the XGBoost server needs, so routing, timeouts, restarts and
failures can be tested quickly. Behaviour is chosen by files in --model-dir:
`fail` (write its text to the failure file, exit 3), `crash` (print to the log, exit 5 with no
failure file), `hang` (never listen). `/invocations` answers `<pid>:<body>`, echoing Accept as
the content type and the custom attributes; the attribute `sleep=<seconds>` delays the answer
and `status=<code>` sets the status.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import uvicorn

Message = MutableMapping[str, Any]


async def app(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    headers = dict(scope["headers"])
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    status = 200
    reply_headers = [(b"content-type", headers.get(b"accept", b"text/plain"))]
    if scope["path"] == "/invocations":
        attributes = headers.get(b"x-amzn-sagemaker-custom-attributes", b"").decode()
        for item in filter(None, attributes.split(",")):
            key, _, value = item.partition("=")
            if key == "sleep":
                await asyncio.sleep(float(value))
            elif key == "status":
                status = int(value)
        if attributes:
            reply_headers.append((b"x-amzn-sagemaker-custom-attributes", attributes.encode()))
        inference_id = headers.get(b"x-amzn-sagemaker-inference-id", b"")
        reply_headers.append((b"x-echo-inference-id", inference_id))
        body = b"%d:%s" % (os.getpid(), body)
    await send({"type": "http.response.start", "status": status, "headers": reply_headers})
    await send({"type": "http.response.body", "body": body})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True, type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int)
    parser.add_argument("--uds")
    parser.add_argument("--failure-file", type=Path)
    args = parser.parse_args()
    model_dir: Path = args.model_dir
    if (model_dir / "fail").exists():
        if args.failure_file is not None:
            args.failure_file.write_text((model_dir / "fail").read_text())
        return 3
    if (model_dir / "crash").exists():
        print("Traceback (most recent call last):\nRuntimeError: echo server crashed", flush=True)
        return 5
    if (model_dir / "hang").exists():
        time.sleep(3600)
    if args.uds is not None:
        uvicorn.run(app, uds=args.uds, log_level="warning", lifespan="off")
    else:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off")
    return 0


if __name__ == "__main__":
    sys.exit(main())
