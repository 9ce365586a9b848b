"""The delivery client's guard: URLs vetted per request, names resolved and vetted per
connection, only vetted addresses dialled; no redirects, no proxies."""

import asyncio
import datetime as dt
import ssl
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from shared.webhooks.signing import build_body, generate_secret, sign
from shared.webhooks.ssrf import ResolutionError, SsrfBlockedError, check_url
from shared.webhooks.transport import GuardedNetworkBackend, create_client
from tests.webhooks.loopback import (
    LoopbackReceiver,
    RecordingBackend,
    dns,
    refusing_resolver,
    tls_material,
)
from tests.webhooks.test_ssrf import PRIVATE_TARGETS


@pytest.fixture
async def receiver() -> AsyncIterator[LoopbackReceiver]:
    async with LoopbackReceiver().serve() as server:
        yield server


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
    backend = GuardedNetworkBackend(inner=recorder, resolver=refusing_resolver())
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
    async with create_client(network_backend=recorder, resolver=refusing_resolver()) as client:
        with pytest.raises(SsrfBlockedError):
            await client.post(url, content=b"{}")
    assert recorder.calls == []


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


async def test_tls_uses_the_original_name_for_sni_and_the_certificate(tmp_path: Path) -> None:
    server_tls, ca_pem = tls_material(tmp_path, "receiver.test")
    resolver = dns(receiver_test=["127.0.0.1"], impostor_test=["127.0.0.1"])
    async with (
        LoopbackReceiver().serve(tls=server_tls) as receiver,
        create_client(
            allow_hosts={"receiver.test", "impostor.test"},
            resolver=resolver,
            verify=ssl.create_default_context(cadata=ca_pem),
        ) as client,
    ):
        response = await client.post(
            f"https://receiver.test:{receiver.port}/hook", content=b'{"ok":true}'
        )
        assert response.status_code == 204
        with pytest.raises(httpx.ConnectError, match="certificate") as caught:
            await client.get(f"https://impostor.test:{receiver.port}/hook")
    assert receiver.server_names[0] == "receiver.test"
    [received] = receiver.requests
    assert received.headers["host"] == f"receiver.test:{receiver.port}"
    assert received.body == b'{"ok":true}'
    seen: BaseException | None = caught.value  # walked as delivery does to tell `tls` apart
    while seen is not None and not isinstance(seen, ssl.SSLError):
        seen = seen.__cause__ or seen.__context__
    assert seen is not None


async def test_redirects_are_never_followed() -> None:
    metadata = "Location: https://169.254.169.254/latest/meta-data/\r\n"
    hosts = {"127.0.0.1"}
    async with (
        LoopbackReceiver(status=302, extra_headers=metadata).serve() as receiver,
        create_client(allow_hosts=hosts, allow_http_hosts=hosts) as client,
    ):
        response = await client.post(f"http://127.0.0.1:{receiver.port}/hook", content=b"{}")
        assert response.status_code == 302
        assert response.next_request is not None
        with pytest.raises(SsrfBlockedError, match="link-local"):
            await client.send(response.next_request)
    assert len(receiver.requests) == 1


async def test_proxy_variables_in_the_environment_are_ignored(
    receiver: LoopbackReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosts = {"127.0.0.1"}
    async with LoopbackReceiver(status=502).serve() as proxy:
        for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with create_client(allow_hosts=hosts, allow_http_hosts=hosts) as client:
            response = await client.get(f"http://127.0.0.1:{receiver.port}/direct")
    assert response.status_code == 204
    assert proxy.requests == []
    assert [r.target for r in receiver.requests] == ["/direct"]
