"""Receivers and doubles of the delivery client's tests: loopback servers, a DNS table, TLS.

Nothing here opens a socket to anything but 127.0.0.1 or ::1.
"""

import asyncio
import datetime as dt
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpcore
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared.webhooks.ssrf import ResolutionError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records where the guard connects; connects through `inner`, or nowhere without one."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self.inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.calls.append((host, port))
        if self.inner is None:
            raise httpcore.ConnectError(f"not connecting to {host}:{port} in tests")
        return await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self,
        path: str,  # noqa: ARG002
        timeout: float | None = None,  # noqa: ARG002, ASYNC109
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,  # noqa: ARG002
    ) -> httpcore.AsyncNetworkStream:
        raise AssertionError("unix sockets are never opened")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class FakeDns:
    """A resolver answering from a table (a list of answers is served in turn)."""

    table: dict[str, list[list[str]]]
    queries: list[str] = field(default_factory=list)

    async def __call__(self, host: str, _port: int) -> Sequence[str]:
        self.queries.append(host)
        answers = self.table.get(host)
        if not answers:
            raise ResolutionError(host, "NXDOMAIN")
        return answers.pop(0) if len(answers) > 1 else answers[0]


def dns(**names: list[str] | list[list[str]]) -> FakeDns:
    """A `FakeDns` of `receiver_test=["127.0.0.1"]`-style answers (`_` stands for `.`)."""
    table: dict[str, list[list[str]]] = {}
    for name, answer in names.items():
        host = name.replace("_", ".")
        table[host] = answer if answer and isinstance(answer[0], list) else [answer]  # type: ignore[list-item]
    return FakeDns(table)


def refusing_resolver() -> Callable[[str, int], Awaitable[Sequence[str]]]:
    """A resolver that fails the test if it is ever asked."""

    async def resolve(host: str, port: int) -> Sequence[str]:
        raise AssertionError(f"{host} must be refused before it is resolved")

    return resolve


@asynccontextmanager
async def serve_raw(
    handler: Handler, *, tls: ssl.SSLContext | None = None, receive_buffer: int | None = None
) -> AsyncIterator[int]:
    """Run `handler` for each connection to a free 127.0.0.1 port; yields the port.

    `receive_buffer` shrinks the kernel's receive buffer, so a slow handler pushes back.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.bind(("127.0.0.1", 0))

    async def guarded(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()
            with suppress(Exception):
                await writer.wait_closed()

    server = await asyncio.start_server(guarded, sock=sock, ssl=tls)
    try:
        yield sock.getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def read_head(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]]:
    """Method, target and lower-cased headers of the next request on `reader`."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return method, target, headers


@dataclass
class Received:
    """One request a `LoopbackReceiver` got."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class LoopbackReceiver:
    """An HTTP/1.1 server on 127.0.0.1 that records what reaches it (one request a connection)."""

    status: int = 204
    extra_headers: str = ""
    requests: list[Received] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Record one request and answer it, then close."""
        method, target, headers = await read_head(reader)
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        self.requests.append(Received(method, target, headers, body))
        writer.write(
            f"HTTP/1.1 {self.status} X\r\nContent-Length: 0\r\n{self.extra_headers}"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()

    @asynccontextmanager
    async def serve(self, tls: ssl.SSLContext | None = None) -> AsyncIterator["LoopbackReceiver"]:
        """Serve on a free loopback port, set as `port` (recording the TLS SNI names asked)."""
        if tls is not None:
            tls.sni_callback = self._record_sni
        async with serve_raw(self.handle, tls=tls) as self.port:
            yield self

    def _record_sni(self, _sock: object, name: str | None, _ctx: object) -> None:
        self.server_names.append(name)


def tls_material(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, str]:
    """A server context for `name` whose certificate a fresh self-signed CA issued; the CA (PEM)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tidi test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_file = tmp_path / "cert.pem"
    key_file = tmp_path / "key.pem"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    return server, ca.public_bytes(serialization.Encoding.PEM).decode()
