"""The gateway → model-server HTTP client against scripted in-process servers."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tsukuru.domain.ports import Invocation, InvocationResult, InvocationTimeout
from tsukuru.hosting.channel import InstanceChannel, InstanceUnreachable
from tsukuru.hosting.process import Address
from tsukuru.hosting.wire import ConnectionLost, ServerConnection, encode_request

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return head, await reader.readexactly(length)


def run_against(handler: Handler, scenario: Callable[[str], Awaitable[object]]) -> object:
    async def main() -> object:
        with tempfile.TemporaryDirectory(prefix="tsk-w") as folder:
            path = str(Path(folder) / "s.sock")
            server = await asyncio.start_unix_server(handler, path)
            try:
                return await scenario(path)
            finally:
                server.close()

    return asyncio.run(main())


async def connect(path: str) -> ServerConnection:
    _, connection = await asyncio.get_running_loop().create_unix_connection(ServerConnection, path)
    return connection


def test_request_is_one_buffer_with_the_sagemaker_headers() -> None:
    request = encode_request(
        Invocation(
            b"1,2",
            content_type="text/csv",
            accept="application/json",
            custom_attributes="a=b",
            inference_id="id-7",
        )
    )
    head, body = request.split(b"\r\n\r\n", 1)
    assert body == b"1,2"
    lines = head.split(b"\r\n")
    assert lines[0] == b"POST /invocations HTTP/1.1"
    assert b"Content-Length: 3" in lines
    assert b"Content-Type: text/csv" in lines
    assert b"Accept: application/json" in lines
    assert b"X-Amzn-SageMaker-Custom-Attributes: a=b" in lines
    assert b"X-Amzn-SageMaker-Inference-Id: id-7" in lines
    bare = encode_request(Invocation(b""))
    assert b"Accept" not in bare
    assert b"Content-Type" not in bare


def test_header_values_cannot_smuggle_headers() -> None:
    with pytest.raises(ValueError, match="line break"):
        encode_request(Invocation(b"", custom_attributes="x\r\nX-Evil: 1"))


def test_chunked_reply_and_headers_then_reuse() -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(2):
            _, body = await read_request(reader)
            seen.append(body)
            writer.write(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                b"X-Amzn-SageMaker-Custom-Attributes: k=v\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nbad\r\n4\r\n row\r\n0\r\n\r\n"
            )
            await writer.drain()
        writer.close()

    async def scenario(path: str) -> list[InvocationResult]:
        connection = await connect(path)
        loop = asyncio.get_running_loop()
        first = await connection.exchange(encode_request(Invocation(b"one")), loop.time() + 5)
        assert connection.reusable
        second = await connection.exchange(encode_request(Invocation(b"two")), loop.time() + 5)
        connection.close()
        return [first, second]

    results = run_against(handler, scenario)
    expected = InvocationResult(400, b"bad row", "text/plain", "k=v")
    assert results == [expected, expected]
    assert seen == [b"one", b"two"]


def test_connection_close_reply_is_not_reused() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    async def scenario(path: str) -> bool:
        connection = await connect(path)
        loop = asyncio.get_running_loop()
        result = await connection.exchange(encode_request(Invocation(b"")), loop.time() + 5)
        assert result.body == b"ok"
        return connection.reusable

    assert run_against(handler, scenario) is False


def test_reply_cut_short_raises_connection_lost_with_replied() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart")
        await writer.drain()
        writer.close()

    async def scenario(path: str) -> bool:
        connection = await connect(path)
        loop = asyncio.get_running_loop()
        with pytest.raises(ConnectionLost) as lost:
            await connection.exchange(encode_request(Invocation(b"")), loop.time() + 5)
        return lost.value.replied

    assert run_against(handler, scenario) is True


def test_malformed_reply_is_a_lost_connection() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()

    async def scenario(path: str) -> bool:
        connection = await connect(path)
        loop = asyncio.get_running_loop()
        with pytest.raises(ConnectionLost, match="malformed"):
            await connection.exchange(encode_request(Invocation(b"")), loop.time() + 5)
        return connection.open

    assert run_against(handler, scenario) is False


def test_channel_retries_a_stale_kept_alive_connection_once() -> None:
    """A server that closes each connection after one reply, without saying so."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, body = await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()

    async def scenario(path: str) -> list[bytes]:
        channel = InstanceChannel(Address(uds=path))
        loop = asyncio.get_running_loop()
        bodies = []
        for text in (b"a", b"b", b"c"):
            result = await channel.send(encode_request(Invocation(text)), loop.time() + 5)
            bodies.append(result.body)
            await asyncio.sleep(0.02)  # the reply is in; the close is still on its way
        assert channel.served == 3
        assert channel.outstanding == 0
        return bodies

    assert run_against(handler, scenario) == [b"a", b"b", b"c"]


def test_channel_unreachable_and_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async def scenario(path: str) -> None:
        loop = asyncio.get_running_loop()
        request = encode_request(Invocation(b"x"))
        missing = InstanceChannel(Address(uds=path + ".missing"))
        with pytest.raises(InstanceUnreachable, match="cannot connect"):
            await missing.send(request, loop.time() + 5)
        channel = InstanceChannel(Address(uds=path))
        with pytest.raises(InvocationTimeout):
            await channel.send(request, loop.time() + 0.2)
        assert channel.outstanding == 0

    run_against(silent, scenario)
