"""The delivery client on the wire: large bodies, TLS, slow and broken receivers, and the
httpx error each failure surfaces as (delivery classifies attempts by it)."""

import asyncio
import hashlib
import os
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.webhooks.transport import create_client
from tests.webhooks.loopback import (
    Handler,
    LoopbackReceiver,
    dns,
    read_head,
    serve_raw,
    tls_material,
)

LOOPBACK = {"127.0.0.1"}
OK = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"


def loopback_client(**options: Any) -> httpx.AsyncClient:
    """A delivery client allowed to reach 127.0.0.1 over plain http."""
    return create_client(allow_hosts=LOOPBACK, allow_http_hosts=LOOPBACK, **options)


@pytest.mark.parametrize("size", [64 * 1024 + 1, 3 * 1024 * 1024])
async def test_a_body_over_64_kib_arrives_whole_over_tls(tmp_path: Path, size: int) -> None:
    server_tls, ca_pem = tls_material(tmp_path, "receiver.test")
    body = os.urandom(size)
    async with (
        LoopbackReceiver().serve(tls=server_tls) as receiver,
        create_client(
            allow_hosts={"receiver.test"},
            resolver=dns(receiver_test=["127.0.0.1"]),
            verify=ssl.create_default_context(cadata=ca_pem),
        ) as client,
    ):
        response = await client.post(f"https://receiver.test:{receiver.port}/hook", content=body)
    assert response.status_code == 204
    [received] = receiver.requests
    assert received.body == body
    assert receiver.server_names == ["receiver.test"]


async def test_a_body_over_64_kib_arrives_whole_over_plain_http() -> None:
    body = os.urandom(1024 * 1024 + 7)
    async with LoopbackReceiver().serve() as receiver, loopback_client() as client:
        response = await client.post(f"http://127.0.0.1:{receiver.port}/hook", content=body)
    assert response.status_code == 204
    assert receiver.requests[0].body == body


async def test_a_slow_receiver_holds_the_sender_back_and_gets_every_byte() -> None:
    size, chunk = 12 * 1024**2, 64 * 1024
    body = os.urandom(size)
    read_so_far = [0]
    digests: list[str] = []

    async def read_slowly(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        digest = hashlib.sha256()
        while read_so_far[0] < size:
            data = await reader.read(chunk)
            digest.update(data)
            read_so_far[0] += len(data)
            await asyncio.sleep(0.001)
        digests.append(digest.hexdigest())
        writer.write(OK)
        await writer.drain()

    read_when_last_chunk_sent: list[int] = []

    async def produce() -> AsyncIterator[bytes]:
        for start in range(0, size, chunk):
            yield body[start : start + chunk]
        read_when_last_chunk_sent.append(read_so_far[0])

    async with serve_raw(read_slowly, receive_buffer=chunk) as port, loopback_client() as client:
        response = await client.post(
            f"http://127.0.0.1:{port}/hook",
            content=produce(),
            headers={"content-length": str(size)},
        )
    assert response.status_code == 204
    assert digests == [hashlib.sha256(body).hexdigest()]
    # Kernel buffers hold a few MiB at most (4 MiB for a socket's send buffer): the rest
    # of the body was produced only as fast as the receiver read it.
    assert read_when_last_chunk_sent[0] >= size - 6 * 1024**2


async def test_a_receiver_that_stops_reading_is_a_write_timeout() -> None:
    released = asyncio.Event()

    async def stop_reading(reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        await released.wait()

    async with serve_raw(stop_reading, receive_buffer=16 * 1024) as port:
        try:
            async with loopback_client(timeout=0.3) as client:
                with pytest.raises(httpx.WriteTimeout):
                    await client.post(f"http://127.0.0.1:{port}/", content=bytes(32 * 1024**2))
        finally:
            released.set()


async def _close_mid_request(reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
    await read_head(reader)
    await reader.readexactly(64 * 1024)  # then close with the rest unread: a reset


async def _close_without_answering(
    reader: asyncio.StreamReader, _writer: asyncio.StreamWriter
) -> None:
    _, _, headers = await read_head(reader)
    await reader.readexactly(int(headers["content-length"]))


def _answering(raw: bytes) -> Handler:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, _, headers = await read_head(reader)
        await reader.readexactly(int(headers["content-length"]))
        writer.write(raw)
        await writer.drain()

    return answer


@pytest.mark.parametrize(
    ("handler", "error"),
    [
        (_close_mid_request, (httpx.ReadError, httpx.RemoteProtocolError)),
        (_close_without_answering, httpx.RemoteProtocolError),
        (
            _answering(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ncut"),
            httpx.RemoteProtocolError,
        ),
        (_answering(b"SMTP ready\r\n\r\n"), httpx.RemoteProtocolError),
    ],
    ids=["closed-mid-request", "closed-without-answer", "closed-mid-response", "not-http"],
)
async def test_a_receiver_breaking_the_exchange_is_a_protocol_failure(
    handler: Handler, error: type[Exception] | tuple[type[Exception], ...]
) -> None:
    body = os.urandom(4 * 1024 * 1024)
    async with (
        serve_raw(handler, receive_buffer=16 * 1024) as port,
        LoopbackReceiver().serve() as healthy,
        loopback_client() as client,
    ):
        with pytest.raises(error) as caught:
            await client.post(f"http://127.0.0.1:{port}/hook", content=body)
        after = await client.post(f"http://127.0.0.1:{healthy.port}/hook", content=body)
    assert not isinstance(caught.value, httpx.ConnectError | httpx.TimeoutException)
    assert after.status_code == 204
    assert healthy.requests[0].body == body


async def test_a_refused_connection_is_a_connect_error() -> None:
    async with serve_raw(_close_without_answering) as port:
        pass  # the port is free again: nothing listens on it
    async with loopback_client() as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(f"http://127.0.0.1:{port}/hook", content=b"{}")


def _silent(released: asyncio.Event) -> Handler:
    async def never_answer(reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
        _, _, headers = await read_head(reader)
        await reader.readexactly(int(headers.get("content-length", "0")))
        await released.wait()

    return never_answer


async def test_a_receiver_that_never_answers_is_a_read_timeout() -> None:
    released = asyncio.Event()
    async with serve_raw(_silent(released)) as port:
        try:
            async with loopback_client(timeout=0.2) as client:
                with pytest.raises(httpx.ReadTimeout):
                    await client.post(f"http://127.0.0.1:{port}/hook", content=b"{}")
        finally:
            released.set()


async def test_a_full_pool_is_a_pool_timeout() -> None:
    released = asyncio.Event()
    timeouts = httpx.Timeout(5.0, pool=0.2)
    async with (
        serve_raw(_silent(released)) as port,
        loopback_client(limits=httpx.Limits(max_connections=1)) as client,
    ):
        url = f"http://127.0.0.1:{port}/hook"
        busy = asyncio.create_task(client.post(url, content=b"{}", timeout=timeouts))
        try:
            await asyncio.sleep(0.05)
            with pytest.raises(httpx.PoolTimeout):
                await client.post(url, content=b"{}", timeout=timeouts)
        finally:
            released.set()
            busy.cancel()
            await asyncio.gather(busy, return_exceptions=True)


async def test_closing_a_response_releases_its_connection() -> None:
    connections: list[int] = []

    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while True:
            await read_head(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n" + bytes(1024**2))
            await writer.drain()

    limits = httpx.Limits(max_connections=1)
    async with serve_raw(keep_alive) as port, loopback_client(limits=limits) as client:
        url = f"http://127.0.0.1:{port}/"
        async with client.stream("GET", url, timeout=httpx.Timeout(5.0, pool=1.0)) as response:
            assert response.status_code == 200  # closed unread: the connection is dropped
        read = await client.get(url, timeout=httpx.Timeout(5.0, pool=1.0))
        again = await client.get(url, timeout=httpx.Timeout(5.0, pool=1.0))
    assert len(read.content) == len(again.content) == 1024**2
    assert len(connections) == 2  # the unread one, then one kept alive for both reads
