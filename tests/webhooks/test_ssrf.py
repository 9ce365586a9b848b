"""The SSRF rules: URLs vetted at create time, addresses refused, names resolved and vetted."""

import ipaddress

import pytest

from shared.webhooks.ssrf import (
    SsrfBlockedError,
    blocked_reason,
    check_url,
    resolve_and_vet,
    system_resolve,
)

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


async def test_localhost_resolves_to_loopback_which_is_refused() -> None:
    addresses = await system_resolve("localhost", 443)
    assert addresses
    assert {blocked_reason(ipaddress.ip_address(a)) for a in addresses} == {"loopback"}
    with pytest.raises(SsrfBlockedError, match="localhost"):
        await resolve_and_vet("localhost", 443)
    vetted = await resolve_and_vet("localhost", 443, allow_hosts={"localhost"})
    assert set(vetted.addresses) == set(addresses)
