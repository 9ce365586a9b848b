"""The webhook delivery client: an httpx transport that vets every URL and dials vetted IPs only.

`create_client` builds the one `httpx.AsyncClient` a worker process shares. Its transport
owns httpcore connection pools (one per URL) whose network backend resolves each host,
refuses it by the rules of `shared.webhooks.ssrf`, and connects to the vetted addresses
only. Everything here goes through the public APIs of httpx and httpcore.
"""

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import Final

import httpcore
import httpx

from shared.webhooks.ssrf import (
    ResolutionError,
    Resolver,
    SsrfBlockedError,
    check_url,
    resolve_and_vet,
)

DEFAULT_LIMITS: Final = httpx.Limits(max_connections=100, max_keepalive_connections=20)
COALESCE_BYTES: Final = 64 * 1024
"""Bytes a stream holds back before writing them anyway (see `CoalescedStream`)."""

_HTTPX_ERRORS: Final[dict[type[Exception], type[httpx.TransportError]]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.ProtocolError: httpx.ProtocolError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.ProxyError: httpx.ProxyError,
}
"""httpcore's exceptions and the httpx ones callers expect (looked up along the MRO)."""


@contextmanager
def _httpx_errors(request: httpx.Request) -> Iterator[None]:
    """Re-raise httpcore's exceptions as httpx's, chained (delivery reads the chain for TLS).

    Anything else, such as `SsrfBlockedError` or `ResolutionError`, passes unchanged.
    """
    try:
        yield
    except Exception as exc:
        mapped = next((_HTTPX_ERRORS[c] for c in type(exc).__mro__ if c in _HTTPX_ERRORS), None)
        if mapped is None:
            raise
        raise mapped(str(exc), request=request) from exc


class CoalescedStream(httpcore.AsyncNetworkStream):
    """A network stream whose writes wait for the next read: a request's head and body leave
    in one system call (httpcore writes them apart), up to `COALESCE_BYTES` held at once.

    A delivery is small and its answer is read right after it is sent, so holding writes
    until then changes no exchange; it saves a system call per request, which a delivery
    worker otherwise spends much of its time in. httpcore's documented stream interface.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        """Wrap a connected stream."""
        self._inner = inner
        self._held: list[bytes] = []
        self._size = 0
        self._timeout: float | None = None

    async def write(
        self,
        buffer: bytes,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's stream interface
    ) -> None:
        """Hold `buffer` until the next read (write at once past `COALESCE_BYTES`)."""
        self._held.append(buffer)
        self._size += len(buffer)
        self._timeout = timeout
        if self._size >= COALESCE_BYTES:
            await self._flush()

    async def read(
        self,
        max_bytes: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's stream interface
    ) -> bytes:
        """Write what is held, then read."""
        await self._flush()
        return await self._inner.read(max_bytes, timeout)

    async def aclose(self) -> None:
        """Close the stream (anything held is dropped with the connection)."""
        self._held.clear()
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's stream interface
    ) -> httpcore.AsyncNetworkStream:
        """Upgrade the connection; its TLS stream holds its writes the same way."""
        await self._flush()
        secured = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return CoalescedStream(secured)

    def get_extra_info(self, info: str) -> object:
        """What the inner stream says (socket, TLS object, whether it is readable)."""
        return self._inner.get_extra_info(info)

    async def _flush(self) -> None:
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            self._size = 0
            await self._inner.write(data, self._timeout)


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses `resolve_and_vet` passed.

    httpcore asks its backend to open `host`:`port` for each new connection; this backend
    resolves and vets the host, then has the inner backend open a socket to a vetted IP
    (its streams coalesce writes: `CoalescedStream`).
    The request URL is untouched, so the `Host` header, the TLS SNI and the certificate
    check all use the original host name. Unix sockets are refused.
    """

    def __init__(
        self,
        *,
        allow_hosts: Iterable[str] = (),
        inner: httpcore.AsyncNetworkBackend | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        """Wrap a backend.

        Args:
            allow_hosts: Hosts accepted whatever they resolve to.
            inner: The backend that opens sockets (default: `httpcore.AnyIOBackend`).
            resolver: Name resolution (default: `system_resolve`).
        """
        self._allow_hosts = tuple(allow_hosts)
        self._inner = inner or httpcore.AnyIOBackend()
        self._resolver = resolver

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve and vet `host`, then connect to its first reachable vetted address.

        Args:
            host: The URL host.
            port: The URL port.
            timeout: Connect timeout in seconds (also bounds the resolution).
            local_address: Passed to the inner backend.
            socket_options: Passed to the inner backend.

        Returns:
            The connected stream.

        Raises:
            SsrfBlockedError: Refused before any connection is attempted.
            ResolutionError: The host does not resolve.
            httpcore.ConnectTimeout: Resolution took longer than `timeout`.
            httpcore.ConnectError: No vetted address accepted the connection.
        """
        try:
            async with asyncio.timeout(timeout):
                vetted = await resolve_and_vet(
                    host, port, allow_hosts=self._allow_hosts, resolver=self._resolver
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        error: httpcore.ConnectError | None = None
        for address in vetted.addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                error = exc
            else:
                return CoalescedStream(stream)
        if error is None:
            raise ResolutionError(host, "no address")
        raise error

    async def connect_unix_socket(
        self,
        path: str,  # noqa: ARG002
        timeout: float | None = None,  # noqa: ARG002, ASYNC109
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,  # noqa: ARG002
    ) -> httpcore.AsyncNetworkStream:
        """Refused: webhooks go over TCP only.

        Raises:
            SsrfBlockedError: Always.
        """
        raise SsrfBlockedError("unix sockets are not webhook targets")

    async def sleep(self, seconds: float) -> None:
        """Sleep through the inner backend.

        Args:
            seconds: How long.
        """
        await self._inner.sleep(seconds)


class _ResponseStream(httpx.AsyncByteStream):
    """The body of an httpcore response; closing it releases the response's connection."""

    def __init__(self, response: httpcore.Response, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors(self._request):
            async for chunk in self._response.aiter_stream():
                yield chunk

    async def aclose(self) -> None:
        with _httpx_errors(self._request):
            await self._response.aclose()


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that vets every request URL and connects only to vetted addresses.

    Each request's URL goes through `check_url` (so a URL changed after creation, or a
    redirect followed by mistake, is still refused), and each new connection through
    `GuardedNetworkBackend`. No proxy is ever used. Use it through `create_client`.

    Requests go through one httpcore pool per URL (an endpoint's address), made when the
    URL is first vetted. A pool's limits, keep-alive included, are pool-wide, and before
    each request it checks every connection it holds (some checks quadratic in their
    number): with a pool per URL, an endpoint's few connections are neither evicted by
    other endpoints' nor scanned for their requests. Webhook URLs are few.
    """

    def __init__(
        self,
        *,
        allow_hosts: Iterable[str] = (),
        allow_http_hosts: Iterable[str] = (),
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        """Build the transport (pools are made on first use).

        Args:
            allow_hosts: Hosts accepted whatever they are or resolve to (tests, dev).
            allow_http_hosts: Hosts that may be reached over plain http.
            verify: TLS verification: True (certifi's CA bundle), or an SSL context.
            limits: Connection limits of each URL's pool.
            network_backend: Socket opener under the guard (default: `httpcore.AnyIOBackend`).
            resolver: Name resolution (default: `system_resolve`).
        """
        self._allow_hosts = tuple(allow_hosts)
        self._allow_http_hosts = tuple(allow_http_hosts)
        self._ssl_context = httpx.create_ssl_context(verify=verify, trust_env=False)
        self._limits = limits
        self._backend = GuardedNetworkBackend(
            allow_hosts=self._allow_hosts, inner=network_backend, resolver=resolver
        )
        self._pools: dict[str, httpcore.AsyncConnectionPool] = {}

    def _pool_for(self, url: str) -> httpcore.AsyncConnectionPool:
        """The pool of a URL, vetting the URL when it has none yet (`check_url` is pure)."""
        pool = self._pools.get(url)
        if pool is None:
            check_url(url, allow_hosts=self._allow_hosts, allow_http_hosts=self._allow_http_hosts)
            pool = self._pools[url] = httpcore.AsyncConnectionPool(
                ssl_context=self._ssl_context,
                max_connections=self._limits.max_connections,
                max_keepalive_connections=self._limits.max_keepalive_connections,
                keepalive_expiry=self._limits.keepalive_expiry,
                http1=True,
                http2=False,
                retries=0,
                network_backend=self._backend,
            )
        return pool

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Vet the URL, then send through its guarded pool.

        Args:
            request: The request; its `timeout` extension holds httpx's timeouts.

        Returns:
            The response; closing it releases the connection.

        Raises:
            SsrfBlockedError: The URL or its resolved address is refused.
            ResolutionError: The host does not resolve.
            httpx.TransportError: The exchange failed (the httpcore error is the cause).
        """
        url = request.url
        pool = self._pool_for(str(url))
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors(request):
            response = await pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response, request),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close every pool."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


def create_client(
    *,
    allow_hosts: Iterable[str] = (),
    allow_http_hosts: Iterable[str] = (),
    connect_timeout: float = 3.0,
    timeout: float = 15.0,
    verify: ssl.SSLContext | bool = True,
    limits: httpx.Limits = DEFAULT_LIMITS,
    network_backend: httpcore.AsyncNetworkBackend | None = None,
    resolver: Resolver | None = None,
) -> httpx.AsyncClient:
    """The delivery client: guarded transport, no redirects, no proxies from the environment.

    `trust_env=False` matters: with it on, an `HTTPS_PROXY` variable would route requests
    through a proxy transport that bypasses the guard. httpx timeouts are per operation;
    bound the whole attempt with `asyncio.timeout` as well.

    Args:
        allow_hosts: Hosts accepted whatever they are or resolve to (tests, dev).
        allow_http_hosts: Hosts that may be reached over plain http.
        connect_timeout: Resolution plus TCP and TLS handshakes, in seconds.
        timeout: Read, write and pool timeouts, in seconds.
        verify: TLS verification (True or a context).
        limits: Connection limits of each URL's pool.
        network_backend: Socket opener under the guard (default: `httpcore.AnyIOBackend`).
        resolver: Name resolution (default: `system_resolve`).

    Returns:
        A client to share across a worker; close it on shutdown.
    """
    return httpx.AsyncClient(
        transport=GuardedTransport(
            allow_hosts=allow_hosts,
            allow_http_hosts=allow_http_hosts,
            verify=verify,
            limits=limits,
            network_backend=network_backend,
            resolver=resolver,
        ),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
    )
