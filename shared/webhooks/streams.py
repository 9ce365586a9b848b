"""An httpcore network backend on plain asyncio transports, for the delivery client.

httpcore's default backend goes through AnyIO, which wraps every read and write in cancel
scopes and checkpoints; for small webhook requests that bookkeeping, and one system call
per write, cost more than the request itself. This backend keeps received bytes in the
protocol (so the pool's "is this idle connection still usable?" question needs no system
call) and sends a request's headers and body with one write: writes are held until the
stream is read (HTTP/1.1 reads only after the whole request is written) or the held
bytes reach `FLUSH_AT`.
"""

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any, Final

import httpcore

FLUSH_AT: Final = 64 * 1024
"""Held bytes that are sent at once without waiting for a read."""


class _Protocol(asyncio.Protocol):
    """Buffers what the peer sends; wakes the reader; follows the transport's flow control."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.closed = False
        self.error: BaseException | None = None
        self._readable: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self.received += data
        self._wake_reader()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake_reader()
        return False  # let the transport close itself

    def connection_lost(self, exc: BaseException | None) -> None:
        self.closed = True
        self.error = exc
        self._wake_reader()
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def pause_writing(self) -> None:
        if self._writable is None or self._writable.done():
            self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    async def readable(self) -> None:
        """Wait until bytes arrived or the connection ended."""
        self._readable = asyncio.get_running_loop().create_future()
        try:
            await self._readable
        finally:
            self._readable = None

    async def writable(self) -> None:
        """Wait until the transport's write buffer drained below its high-water mark."""
        if self._writable is not None and not self._writable.done():
            await self._writable

    def _wake_reader(self) -> None:
        if self._readable is not None and not self._readable.done():
            self._readable.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """A connected TCP (or TLS) stream over an asyncio transport."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        """Wrap a transport whose protocol is `protocol`."""
        self._transport = transport
        self._protocol = protocol
        self._held: list[bytes] = []
        self._held_size = 0

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        """Up to `max_bytes` received bytes (b"" at end of stream); sends held writes first.

        Raises:
            httpcore.ReadTimeout: Nothing arrived within `timeout`.
            httpcore.ReadError: The connection failed.
        """
        protocol = self._protocol
        try:
            async with asyncio.timeout(timeout):
                await self._flush()
                while not protocol.received and not protocol.closed:
                    await protocol.readable()
        except TimeoutError:
            raise httpcore.ReadTimeout("read timed out") from None
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc
        if not protocol.received:
            if protocol.error is not None:
                raise httpcore.ReadError(str(protocol.error)) from protocol.error
            return b""
        data = bytes(protocol.received[:max_bytes])
        del protocol.received[:max_bytes]
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        """Hold `buffer` until the next read, or send everything held past `FLUSH_AT`.

        Raises:
            httpcore.WriteTimeout: The peer did not take the bytes within `timeout`.
            httpcore.WriteError: The connection failed.
        """
        if not buffer:
            return
        self._held.append(buffer)
        self._held_size += len(buffer)
        if self._held_size >= FLUSH_AT:
            try:
                async with asyncio.timeout(timeout):
                    await self._flush()
            except TimeoutError:
                raise httpcore.WriteTimeout("write timed out") from None
            except OSError as exc:
                raise httpcore.WriteError(str(exc)) from exc

    async def _flush(self) -> None:
        if not self._held:
            return
        if self._protocol.closed:
            raise httpcore.WriteError("connection closed")
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held.clear()
        self._held_size = 0
        self._transport.write(data)
        await self._protocol.writable()

    async def aclose(self) -> None:
        """Close the connection (held bytes are dropped)."""
        self._held.clear()
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore.AsyncNetworkStream:
        """Upgrade to TLS (certificate and host name checked by `ssl_context`).

        Raises:
            httpcore.ConnectTimeout: The handshake took longer than `timeout`.
            httpcore.ConnectError: The handshake failed.
        """
        loop = asyncio.get_running_loop()
        try:
            await self._flush()
            transport = await loop.start_tls(
                self._transport,
                self._protocol,
                ssl_context,
                server_hostname=server_hostname,
                ssl_handshake_timeout=timeout,
            )
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from None
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        if transport is None:
            raise httpcore.ConnectError("connection closed during the TLS handshake")
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        """`is_readable` (bytes or end of stream pending: the idle connection is unusable),
        `ssl_object`, `socket`, `client_addr`, `server_addr`."""
        if info == "is_readable":
            return bool(self._protocol.received) or self._protocol.closed
        names = {
            "ssl_object": "ssl_object",
            "socket": "socket",
            "client_addr": "sockname",
            "server_addr": "peername",
        }
        return self._transport.get_extra_info(names[info]) if info in names else None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens `AsyncioStream`s (TCP only; TLS by `start_tls`)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to `host`:`port` (an address: the guard resolves names before this).

        Raises:
            httpcore.ConnectTimeout: Not connected within `timeout`.
            httpcore.ConnectError: The connection was refused or failed.
        """
        loop = asyncio.get_running_loop()
        protocol = _Protocol()
        try:
            async with asyncio.timeout(timeout):
                transport, _ = await loop.create_connection(
                    lambda: protocol,
                    host,
                    port,
                    local_addr=None if local_address is None else (local_address, 0),
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(transport, protocol)

    async def connect_unix_socket(
        self,
        path: str,  # noqa: ARG002
        timeout: float | None = None,  # noqa: ARG002, ASYNC109
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,  # noqa: ARG002
    ) -> httpcore.AsyncNetworkStream:
        """Not supported: webhooks go over TCP.

        Raises:
            httpcore.ConnectError: Always.
        """
        raise httpcore.ConnectError("unix sockets are not supported")

    async def sleep(self, seconds: float) -> None:
        """Sleep."""
        await asyncio.sleep(seconds)
