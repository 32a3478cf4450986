"""The gateway's side of one model-server instance: kept-alive connections and live counters.

The router reads `healthy` and `outstanding` to pick an instance; the supervisor thread flips
`healthy` and moves the channel to a new address when it restarts the server. Connections are
asyncio objects, so they are only ever made, used and pooled on the event loop that invokes;
a change of address bumps `generation`, and connections of an older generation are closed
there instead of being reused.
"""

from __future__ import annotations

import asyncio
import contextlib

from tsukuru.domain.ports import InvocationResult, InvocationTimeout
from tsukuru.hosting.process import LOOPBACK, Address
from tsukuru.hosting.wire import ConnectionLost, ServerConnection


class InstanceUnreachable(Exception):
    """The instance could not be reached or dropped the request: try another one."""


class InstanceChannel:
    def __init__(self, address: Address) -> None:
        self.address = address
        self.generation = 0
        self.healthy = False
        self.outstanding = 0
        self.served = 0
        self._idle: list[tuple[int, ServerConnection]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def move_to(self, address: Address) -> None:
        """The server now listens at `address` (after a restart); old connections are stale."""
        self.address = address
        self.generation += 1

    async def send(self, request: bytes, deadline: float) -> InvocationResult:
        """One encoded request → the server's reply. InstanceUnreachable, InvocationTimeout."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._idle = []  # connections of another (finished) loop cannot be used here
            self._loop = loop
        self.outstanding += 1
        try:
            result = await self._exchange(loop, request, deadline)
        finally:
            self.outstanding -= 1
        self.served += 1
        return result

    def close_idle(self) -> None:
        """Close pooled connections; safe from any thread."""
        loop = self._loop
        idle, self._idle = self._idle, []
        if loop is None or not idle:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            _close_all(idle)
            return
        with contextlib.suppress(RuntimeError):  # that loop is closed: nothing can run there
            loop.call_soon_threadsafe(_close_all, idle)

    async def _exchange(
        self, loop: asyncio.AbstractEventLoop, request: bytes, deadline: float
    ) -> InvocationResult:
        pooled = self._take_idle()
        if pooled is not None:
            try:
                return await self._use(pooled, request, deadline)
            except ConnectionLost as lost:
                if lost.replied:
                    raise InstanceUnreachable(str(lost)) from lost
                # The server closed this kept-alive connection while it sat idle: use a new one.
        fresh = await self._connect(loop, deadline)
        try:
            return await self._use(fresh, request, deadline)
        except ConnectionLost as lost:
            raise InstanceUnreachable(str(lost)) from lost

    def _take_idle(self) -> ServerConnection | None:
        while self._idle:
            generation, connection = self._idle.pop()
            if connection.open and generation == self.generation:
                return connection
            connection.close()
        return None

    async def _use(
        self, connection: ServerConnection, request: bytes, deadline: float
    ) -> InvocationResult:
        generation = self.generation
        try:
            result = await connection.exchange(request, deadline)
        except BaseException:
            connection.close()
            raise
        if connection.reusable and generation == self.generation:
            self._idle.append((generation, connection))
        else:
            connection.close()
        return result

    async def _connect(self, loop: asyncio.AbstractEventLoop, deadline: float) -> ServerConnection:
        address = self.address
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise InvocationTimeout("model server did not answer in time")
        try:
            async with asyncio.timeout(remaining):
                if address.uds is not None:
                    _, connection = await loop.create_unix_connection(ServerConnection, address.uds)
                else:
                    _, connection = await loop.create_connection(
                        ServerConnection, LOOPBACK, address.port
                    )
        except TimeoutError as error:
            raise InvocationTimeout("could not connect to the model server in time") from error
        except OSError as error:
            raise InstanceUnreachable(
                f"cannot connect to model server at {address}: {error}"
            ) from error
        return connection


def _close_all(idle: list[tuple[int, ServerConnection]]) -> None:
    for _, connection in idle:
        connection.close()
