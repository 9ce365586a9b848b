import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook

from shared.webhooks.signing import build_body, generate_secret, sign
from shared.webhooks.ssrf import (
    GuardedNetworkBackend,
    ResolutionError,
    SsrfBlockedError,
    blocked_reason,
    check_url,
    create_client,
    resolve_and_vet,
    system_resolve,
)

# --- test doubles: nothing here opens a socket to anything but 127.0.0.1 or ::1


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records where the guard would connect, and connects nowhere."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ARG002, ASYNC109
        local_address: str | None = None,  # noqa: ARG002
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,  # noqa: ARG002
    ) -> httpcore.AsyncNetworkStream:
        self.calls.append((host, port))
        raise httpcore.ConnectError(f"not connecting to {host}:{port} in tests")

    async def connect_unix_socket(
        self,
        path: str,  # noqa: ARG002
        timeout: float | None = None,  # noqa: ARG002, ASYNC109
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,  # noqa: ARG002
    ) -> httpcore.AsyncNetworkStream:
        raise AssertionError("unix sockets are never opened")

    async def sleep(self, seconds: float) -> None:  # noqa: ARG002
        return None


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
    table: dict[str, list[list[str]]] = {}
    for name, answer in names.items():
        host = name.replace("_", ".")
        table[host] = answer if answer and isinstance(answer[0], list) else [answer]  # type: ignore[list-item]
    return FakeDns(table)


def _refusing_resolver() -> Callable[[str, int], Awaitable[Sequence[str]]]:
    async def resolve(host: str, port: int) -> Sequence[str]:
        raise AssertionError(f"{host} must be refused before it is resolved")

    return resolve


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class LoopbackReceiver:
    """An HTTP/1.1 server on 127.0.0.1 that records what reaches it."""

    status: int = 204
    extra_headers: str = ""
    requests: list[Received] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)
    port: int = 0
    server: asyncio.Server | None = None

    async def start(self, tls: ssl.SSLContext | None = None) -> "LoopbackReceiver":
        if tls is not None:
            tls.sni_callback = self._record_sni
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=tls)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def _record_sni(self, _sock: object, name: str | None, _ctx: object) -> None:
        self.server_names.append(name)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            body = await reader.readexactly(length) if length else b""
            self.requests.append(Received(method, target, headers, body))
            writer.write(
                f"HTTP/1.1 {self.status} X\r\nContent-Length: 0\r\n{self.extra_headers}"
                "Connection: close\r\n\r\n".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()
            with suppress(Exception):
                await writer.wait_closed()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.fixture
async def receiver() -> AsyncIterator[LoopbackReceiver]:
    server = await LoopbackReceiver().start()
    yield server
    await server.stop()


# --- create time


PRIVATE_TARGETS = [
    "https://10.0.0.1/hook",
    "https://172.16.5.4/hook",
    "https://192.168.1.1/hook",
    "https://127.0.0.1/hook",
    "https://127.0.0.1:8443/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/hook",
    "https://100.127.255.254/hook",
    "https://224.0.0.1/hook",
    "https://239.255.255.250/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://[::ffff:169.254.169.254]/hook",
    "https://0.0.0.0/hook",
    "https://[::1]/hook",
    "https://[::1]:8443/hook",
    "https://[::]/hook",
    "https://[::127.0.0.1]/hook",
    "https://[64:ff9b::a00:1]/hook",
    "https://[64:ff9b::7f00:1]/hook",
    "https://[2002:7f00:1::1]/hook",
    "https://[2002:a9fe:a9fe::1]/hook",
    "https://[fe80::1]/hook",
    "https://[fc00::1]/hook",
    "https://[fd12:3456::1]/hook",
    "https://[fec0::1]/hook",
    "https://[ff02::1]/hook",
    "https://[2001:db8::1]/hook",
    "https://255.255.255.255/hook",
    "https://240.0.0.1/hook",
    "https://198.18.0.1/hook",
    "https://192.0.2.10/hook",
    "https://2130706433/hook",
    "https://0x7f000001/hook",
    "https://127.1/hook",
    "https://0x7f.1/hook",
    "https://017700000001/hook",
    "https://localhost/hook",
    "https://LOCALHOST:8443/hook",
    "https://api.localhost/hook",
    "https://metadata/computeMetadata/v1/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://printer.local/hook",
    "https://router.home.arpa/hook",
    "https://receiver.test/hook",
]

MALFORMED_OR_UNSAFE = [
    "http://hooks.operateur.fr/hook",
    "http://8.8.8.8/hook",
    "https://user:secret@hooks.operateur.fr/hook",
    "https://user@hooks.operateur.fr/hook",
    "https://@hooks.operateur.fr/hook",
    "https://hooks.operateur.fr\\@evil.fr/hook",
    "https://hooks.operateur.fr/ho ok",
    "https://hooks.operateur.fr/hook\r\nX: y",
    "https://hooks.operateur.fr/hook#fragment",
    "https://hooks.operateur.fr./hook",
    "https://-hooks.operateur.fr/hook",
    "https://hooks.operateur.fr:22/hook",
    "https://hooks.operateur.fr:25/hook",
    "https://hooks.operateur.fr:6379/hook",
    "https://hooks.operateur.fr:5432/hook",
    "https://hooks.operateur.fr:0/hook",
    "ftp://hooks.operateur.fr/hook",
    "file:///etc/passwd",
    "gopher://hooks.operateur.fr:70/_",
    "//hooks.operateur.fr/hook",
    "https:///hook",
    "hooks.operateur.fr/hook",
    "https://" + "a" * 2050 + ".fr/",
]


@pytest.mark.parametrize("url", PRIVATE_TARGETS + MALFORMED_OR_UNSAFE)
def test_refused_at_create_time(url: str) -> None:
    with pytest.raises(SsrfBlockedError) as caught:
        check_url(url)
    assert caught.value.error_class == "ssrf_blocked"
    assert caught.value.reason
    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("url", "host", "port"),
    [
        ("https://hooks.operateur.fr/tidi", "hooks.operateur.fr", 443),
        ("https://Hooks.Operateur.FR:8443/tidi?x=1", "hooks.operateur.fr", 8443),
        ("https://api.bpifrance.fr:443/webhooks/tidi", "api.bpifrance.fr", 443),
        ("https://8.8.8.8/hook", "8.8.8.8", 443),
        ("https://[2606:4700:4700::1111]/hook", "2606:4700:4700::1111", 443),
        ("https://[::ffff:8.8.8.8]/hook", "::ffff:808:808", 443),
        ("https://[64:ff9b::808:808]/hook", "64:ff9b::808:808", 443),
        ("https://bücher.fr/hook", "xn--bcher-kva.fr", 443),
        ("https://my_host.operateur.fr/hook", "my_host.operateur.fr", 443),
    ],
)
def test_accepted_at_create_time(url: str, host: str, port: int) -> None:
    target = check_url(url)
    assert (target.host, target.port) == (host, port)
    assert target.scheme == "https"


def test_create_time_cannot_see_dns_so_connect_time_checks_again() -> None:
    assert check_url("https://rebind.operateur.fr/hook").host == "rebind.operateur.fr"


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/hook", "http://localhost:9000/hook", "http://[::1]:8080/hook"],
)
def test_allow_listed_loopback_hosts_are_accepted(url: str) -> None:
    hosts = {"127.0.0.1", "localhost", "::1"}
    target = check_url(url, allow_hosts=hosts, allow_http_hosts=hosts)
    assert target.scheme == "http"


def test_allow_listing_is_per_host_and_per_scheme() -> None:
    assert check_url("https://[::1]:9000/", allow_hosts={"[::1]"}).host == "::1"
    assert check_url("https://localhost:6379/", allow_hosts={"LocalHost"}).port == 6379
    with pytest.raises(SsrfBlockedError, match="plain http"):
        check_url("http://127.0.0.1:8080/", allow_hosts={"127.0.0.1"})
    with pytest.raises(SsrfBlockedError, match="loopback"):
        check_url("http://127.0.0.1:8080/", allow_http_hosts={"127.0.0.1"})
    with pytest.raises(SsrfBlockedError, match="loopback"):
        check_url("https://127.0.0.2/", allow_hosts={"127.0.0.1"})
    with pytest.raises(SsrfBlockedError, match="user info"):
        check_url("https://u:p@127.0.0.1/", allow_hosts={"127.0.0.1"})


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.1.2.3", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.1", "private"),
        ("127.0.0.53", "loopback"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("224.0.0.251", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback IPv4 address 127.0.0.1 in IPv4-mapped form"),
        ("::ffff:10.0.0.1", "private IPv4 address 10.0.0.1 in IPv4-mapped form"),
        ("::ffff:100.64.0.1", "carrier-grade NAT"),
        ("::127.0.0.1", "loopback IPv4 address 127.0.0.1 in IPv4-compatible form"),
        ("::8.8.8.8", "IPv4-compatible IPv6 address (deprecated)"),
        ("2002:c0a8:0101::1", "private IPv4 address 192.168.1.1 in 6to4 form"),
        ("64:ff9b::a9fe:a9fe", "link-local (cloud metadata) IPv4 address 169.254.169.254 in NAT64"),
        ("64:ff9b:1::a00:1", "NAT64 local-use"),
        ("fe80::1", "link-local"),
        ("fe80::1%2", "scoped"),
        ("fec0::1", "site-local"),
        ("fc00::1", "unique local"),
        ("fdff::1", "unique local"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
        ("2001::1", "IETF protocol assignment"),
    ],
)
def test_blocked_addresses(address: str, reason: str) -> None:
    refused = blocked_reason(ipaddress.ip_address(address))
    assert refused is not None
    assert reason in refused


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "193.51.24.1",
        "100.128.0.1",
        "2606:4700:4700::1111",
        "2a01:e0a::1",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_global_addresses(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


# --- connect time


CONNECT_TIME_HOSTS = [
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "127.0.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "224.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "0.0.0.0",  # noqa: S104
    "::1",
    "[::1]",
    "::",
    "fe80::1",
    "fd00::1",
    "fec0::1",
    "ff02::1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::1",
    "::127.0.0.1",
    "255.255.255.255",
    "127.1",
    "2130706433",
    "localhost",
    "LOCALHOST",
    "api.localhost",
    "metadata",
    "metadata.google.internal",
]


@pytest.mark.parametrize("host", CONNECT_TIME_HOSTS)
async def test_refused_at_connect_time_before_resolving_or_connecting(host: str) -> None:
    recorder = RecordingBackend()
    backend = GuardedNetworkBackend(inner=recorder, resolver=_refusing_resolver())
    with pytest.raises(SsrfBlockedError) as caught:
        await backend.connect_tcp(host, 443, timeout=1.0)
    assert caught.value.error_class == "ssrf_blocked"
    assert recorder.calls == []


SEND_TIME_REFUSED = [
    "http://hooks.operateur.fr/hook",
    "http://8.8.8.8/hook",
    "https://user:secret@hooks.operateur.fr/hook",
    "https://user@hooks.operateur.fr/hook",
    "https://hooks.operateur.fr:22/hook",
    "https://hooks.operateur.fr:6379/hook",
    "https://hooks.operateur.fr/hook#fragment",
    "https://hooks.operateur.fr./hook",
]


@pytest.mark.parametrize("url", PRIVATE_TARGETS + SEND_TIME_REFUSED)
async def test_refused_by_the_client_before_any_connection(url: str) -> None:
    recorder = RecordingBackend()
    async with create_client(network_backend=recorder, resolver=_refusing_resolver()) as client:
        with pytest.raises(SsrfBlockedError):
            await client.post(url, content=b"{}")
    assert recorder.calls == []


async def test_localhost_resolves_to_loopback_which_is_refused() -> None:
    addresses = await system_resolve("localhost", 443)
    assert addresses
    assert {blocked_reason(ipaddress.ip_address(a)) for a in addresses} == {"loopback"}
    with pytest.raises(SsrfBlockedError, match="localhost"):
        await resolve_and_vet("localhost", 443)
    vetted = await resolve_and_vet("localhost", 443, allow_hosts={"localhost"})
    assert set(vetted.addresses) == set(addresses)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (["10.0.0.1"], "private"),
        (["192.168.10.20"], "private"),
        (["127.0.0.1"], "loopback"),
        (["169.254.169.254"], "link-local"),
        (["100.64.1.1"], "carrier-grade NAT"),
        (["224.0.0.1"], "multicast"),
        (["0.0.0.0"], "unspecified"),  # noqa: S104
        (["::1"], "loopback"),
        (["::ffff:127.0.0.1"], "IPv4-mapped"),
        (["::ffff:10.0.0.1"], "IPv4-mapped"),
        (["fd00::1"], "unique local"),
        (["8.8.8.8", "127.0.0.1"], "loopback"),
        (["2606:4700:4700::1111", "fe80::1"], "link-local"),
    ],
)
async def test_a_name_resolving_to_any_refused_address_is_refused(
    answer: list[str], reason: str
) -> None:
    recorder = RecordingBackend()
    resolver = dns(hooks_operateur_fr=answer)
    check_url("https://hooks.operateur.fr/hook")
    async with create_client(network_backend=recorder, resolver=resolver) as client:
        with pytest.raises(SsrfBlockedError, match=reason) as caught:
            await client.post("https://hooks.operateur.fr/hook", content=b"{}")
    assert "hooks.operateur.fr resolves to" in caught.value.reason
    assert recorder.calls == []
    assert resolver.queries == ["hooks.operateur.fr"]


async def test_the_connection_goes_to_the_vetted_address_not_the_name() -> None:
    recorder = RecordingBackend()
    resolver = dns(hooks_operateur_fr=[["8.8.8.8"], ["127.0.0.1"]])
    async with create_client(network_backend=recorder, resolver=resolver) as client:
        with pytest.raises(httpx.ConnectError):
            await client.post("https://hooks.operateur.fr/hook", content=b"{}")
        assert recorder.calls == [("8.8.8.8", 443)]
        with pytest.raises(SsrfBlockedError, match=r"127\.0\.0\.1: loopback"):
            await client.post("https://hooks.operateur.fr/hook", content=b"{}")
    assert recorder.calls == [("8.8.8.8", 443)]
    assert resolver.queries == ["hooks.operateur.fr", "hooks.operateur.fr"]


async def test_every_vetted_address_is_tried_in_order() -> None:
    recorder = RecordingBackend()
    resolver = dns(hooks_operateur_fr=["2606:4700:4700::1111", "8.8.8.8", "8.8.8.8"])
    async with create_client(network_backend=recorder, resolver=resolver) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("https://hooks.operateur.fr:8443/")
    assert recorder.calls == [("2606:4700:4700::1111", 8443), ("8.8.8.8", 8443)]


async def test_an_unresolvable_name_is_a_dns_failure() -> None:
    recorder = RecordingBackend()
    async with create_client(network_backend=recorder, resolver=dns()) as client:
        with pytest.raises(ResolutionError) as caught:
            await client.get("https://nowhere.operateur.fr/")
    assert caught.value.error_class == "dns"
    assert recorder.calls == []


async def test_a_slow_resolver_is_a_connect_timeout() -> None:
    async def slow(host: str, port: int) -> Sequence[str]:
        await asyncio.sleep(5)
        return ["8.8.8.8"]

    recorder = RecordingBackend()
    async with create_client(
        network_backend=recorder, resolver=slow, connect_timeout=0.05
    ) as client:
        with pytest.raises(httpx.ConnectTimeout):
            await client.get("https://slow.operateur.fr/")
    assert recorder.calls == []


async def test_unix_sockets_are_refused() -> None:
    with pytest.raises(SsrfBlockedError, match="unix"):
        await GuardedNetworkBackend().connect_unix_socket("/var/run/docker.sock")


# --- through a real loopback server


async def test_a_signed_delivery_reaches_an_allow_listed_loopback_receiver(
    receiver: LoopbackReceiver,
) -> None:
    secret = generate_secret()
    body = build_body("application.submitted", dt.datetime.now(dt.UTC), {"id": "a1", "sequence": 1})
    headers = sign(secret, msg_id="msg_loopback", timestamp=dt.datetime.now(dt.UTC), body=body)
    url = f"http://127.0.0.1:{receiver.port}/hook"
    hosts = {"127.0.0.1"}
    check_url(url, allow_hosts=hosts, allow_http_hosts=hosts)
    async with create_client(allow_hosts=hosts, allow_http_hosts=hosts) as client:
        response = await client.post(
            url, content=body, headers={**headers, "content-type": "application/json"}
        )
    assert response.status_code == 204
    [received] = receiver.requests
    assert (received.method, received.target) == ("POST", "/hook")
    assert received.body == body
    assert received.headers["webhook-id"] == "msg_loopback"
    envelope = Webhook(secret).verify(received.body, received.headers)
    assert envelope["type"] == "application.submitted"
    assert envelope["data"] == {"id": "a1", "sequence": 1}


async def test_the_same_loopback_receiver_is_refused_when_not_allow_listed(
    receiver: LoopbackReceiver,
) -> None:
    async with create_client(allow_http_hosts={"127.0.0.1"}) as client:
        with pytest.raises(SsrfBlockedError, match="loopback"):
            await client.post(f"http://127.0.0.1:{receiver.port}/hook", content=b"{}")
    async with create_client(allow_hosts={"localhost"}) as client:
        with pytest.raises(SsrfBlockedError, match="loopback"):
            await client.post(f"https://127.0.0.1:{receiver.port}/hook", content=b"{}")
    assert receiver.requests == []


async def test_a_name_is_sent_as_host_while_the_vetted_address_is_dialled(
    receiver: LoopbackReceiver,
) -> None:
    resolver = dns(receiver_test=["::1", "127.0.0.1"])
    hosts = {"receiver.test"}
    async with create_client(
        allow_hosts=hosts, allow_http_hosts=hosts, resolver=resolver
    ) as client:
        response = await client.get(f"http://receiver.test:{receiver.port}/ping")
    assert response.status_code == 204
    assert resolver.queries == ["receiver.test"]
    [received] = receiver.requests
    assert received.headers["host"] == f"receiver.test:{receiver.port}"
    assert received.target == "/ping"


def _tls_material(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, str]:
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


async def test_tls_uses_the_original_name_for_sni_and_the_certificate(tmp_path: Path) -> None:
    server_tls, ca_pem = _tls_material(tmp_path, "receiver.test")
    receiver = await LoopbackReceiver().start(tls=server_tls)
    try:
        resolver = dns(receiver_test=["127.0.0.1"], impostor_test=["127.0.0.1"])
        async with create_client(
            allow_hosts={"receiver.test", "impostor.test"},
            resolver=resolver,
            verify=ssl.create_default_context(cadata=ca_pem),
        ) as client:
            response = await client.post(
                f"https://receiver.test:{receiver.port}/hook", content=b'{"ok":true}'
            )
            assert response.status_code == 204
            with pytest.raises(httpx.ConnectError, match="certificate"):
                await client.get(f"https://impostor.test:{receiver.port}/hook")
    finally:
        await receiver.stop()
    assert receiver.server_names[0] == "receiver.test"
    [received] = receiver.requests
    assert received.headers["host"] == f"receiver.test:{receiver.port}"
    assert received.body == b'{"ok":true}'


async def test_redirects_are_never_followed() -> None:
    receiver = await LoopbackReceiver(
        status=302, extra_headers="Location: https://169.254.169.254/latest/meta-data/\r\n"
    ).start()
    try:
        hosts = {"127.0.0.1"}
        async with create_client(allow_hosts=hosts, allow_http_hosts=hosts) as client:
            response = await client.post(f"http://127.0.0.1:{receiver.port}/hook", content=b"{}")
            assert response.status_code == 302
            assert response.next_request is not None
            with pytest.raises(SsrfBlockedError, match="link-local"):
                await client.send(response.next_request)
    finally:
        await receiver.stop()
    assert len(receiver.requests) == 1


async def test_proxy_variables_in_the_environment_are_ignored(
    receiver: LoopbackReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = await LoopbackReceiver(status=502).start()
    try:
        for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        hosts = {"127.0.0.1"}
        async with create_client(allow_hosts=hosts, allow_http_hosts=hosts) as client:
            response = await client.get(f"http://127.0.0.1:{receiver.port}/direct")
    finally:
        await proxy.stop()
    assert response.status_code == 204
    assert proxy.requests == []
    assert [r.target for r in receiver.requests] == ["/direct"]
