"""Helpers for model-host tests: an event loop on its own thread, as the gateway runs one.

`deploy`/`undeploy` are called from the test's (worker) thread while `invoke` runs on that
loop, which is exactly how the platform uses a ModelHost.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")

ECHO_SERVER = Path(__file__).with_name("echo_server.py")
ECHO_COMMAND = (sys.executable, str(ECHO_SERVER))


class LoopThread:
    """An event loop running on its own thread (uvloop, as under uvicorn, if asked)."""

    def __init__(self, use_uvloop: bool = False) -> None:
        self.loop = uvloop.new_event_loop() if use_uvloop else asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


def process_gone(pid: int) -> bool:
    """True once `pid` no longer exists; a zombie (exited, never reaped) still counts as there."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False
