"""SSRF guard through the API (creation) and at delivery time (a DNS answer that changed)."""

from collections.abc import Callable
from functools import partial
from typing import Any

import httpcore
import pytest
from sqlalchemy import text

from services.worker.jobs import webhooks as webhook_jobs
from shared.webhooks import ssrf, transport
from tests.eligibility.flows import submitted
from tests.fixtures.api import auth
from tests.fixtures.builders import Key
from tests.fixtures.http import assert_problem, error_pointers
from tests.fixtures.receiver import wait_until
from tests.webhooks.conftest import create_endpoint, scalar
from tests.webhooks.loopback import RecordingBackend

ENDPOINTS = "/v1/webhook-endpoints"
PUBLIC_NAME = "hooks.partner-operator.fr"


def fake_resolver(answers: dict[str, list[str]]) -> Callable[..., Any]:
    """An async resolver answering from `answers` and recording the names asked."""
    asked: list[str] = []

    async def resolve(host: str, _port: int) -> list[str]:
        asked.append(host)
        if host not in answers:
            raise ssrf.ResolutionError(host, "unknown in this test")
        return answers[host]

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/h",
        "https://192.168.1.2/h",
        "https://127.0.0.2/h",
        "https://169.254.169.254/latest",
        "https://[::ffff:10.0.0.1]/h",
        "https://100.64.0.1/h",
        "http://hooks.example.com/h",
        "https://user:pw@hooks.example.com/h",
    ],
)
async def test_creation_refuses_non_public_targets(
    client: Any, operator_key: Key, url: str, sessionmaker: Any
) -> None:
    response = await client.post(ENDPOINTS, json={"url": url}, headers=auth(operator_key.secret))
    body = assert_problem(response, 422)
    assert "/body/url" in error_pointers(body)
    assert await scalar(sessionmaker, "SELECT count(*) FROM webhook_endpoints") == 0


async def test_a_name_resolving_to_a_private_address_is_refused(
    client: Any, operator_key: Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolver = fake_resolver({"intranet.partner-operator.fr": ["10.1.2.3"]})
    monkeypatch.setattr(ssrf, "system_resolve", resolver)
    response = await client.post(
        ENDPOINTS,
        json={"url": "https://intranet.partner-operator.fr/hook"},
        headers=auth(operator_key.secret),
    )
    body = assert_problem(response, 422)
    assert "/body/url" in error_pointers(body)
    assert "10.1.2.3" in body["detail"] or "10.1.2.3" in str(body.get("errors"))
    assert resolver.asked == ["intranet.partner-operator.fr"]  # type: ignore[attr-defined]


async def test_a_name_with_one_private_address_among_public_ones_is_refused(
    client: Any, operator_key: Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        ssrf, "system_resolve", fake_resolver({PUBLIC_NAME: ["93.184.216.34", "192.168.0.9"]})
    )
    response = await client.post(
        ENDPOINTS, json={"url": f"https://{PUBLIC_NAME}/hook"}, headers=auth(operator_key.secret)
    )
    assert "/body/url" in error_pointers(assert_problem(response, 422))


async def test_a_name_that_does_not_resolve_is_refused(
    client: Any, operator_key: Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ssrf, "system_resolve", fake_resolver({}))
    response = await client.post(
        ENDPOINTS, json={"url": f"https://{PUBLIC_NAME}/hook"}, headers=auth(operator_key.secret)
    )
    assert "/body/url" in error_pointers(assert_problem(response, 422))


async def test_a_public_name_is_accepted_and_a_later_patch_is_vetted_again(
    client: Any, operator_key: Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        ssrf,
        "system_resolve",
        fake_resolver({PUBLIC_NAME: ["93.184.216.34"], "evil.partner-operator.fr": ["10.9.9.9"]}),
    )
    created = await create_endpoint(client, operator_key, f"https://{PUBLIC_NAME}/hook")
    response = await client.patch(
        f"{ENDPOINTS}/{created['id']}",
        json={"url": "https://evil.partner-operator.fr/hook"},
        headers={**auth(operator_key.secret), "If-Match": '"1"'},
    )
    assert "/body/url" in error_pointers(assert_problem(response, 422))


async def test_delivery_refuses_a_name_that_now_resolves_to_a_private_address(
    client: Any,
    portal: Any,
    operator_key: Key,
    territory_key: Any,
    workers: Any,
    sessionmaker: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, key = territory_key
    monkeypatch.setattr(ssrf, "system_resolve", fake_resolver({PUBLIC_NAME: ["93.184.216.34"]}))
    endpoint = await create_endpoint(
        client,
        operator_key,
        f"https://{PUBLIC_NAME}/hook",
        event_types=["application.submitted"],
    )
    rebound = fake_resolver({PUBLIC_NAME: ["10.0.0.7"]})
    monkeypatch.setattr(ssrf, "system_resolve", rebound)
    sockets = RecordingBackend(inner=httpcore.AnyIOBackend())
    guarded = partial(transport.create_client, network_backend=sockets)
    monkeypatch.setattr(webhook_jobs, "create_client", guarded)

    async def attempted() -> bool:
        count = await scalar(
            sessionmaker,
            "SELECT count(*) FROM webhook_attempts WHERE endpoint_id = :id",
            id=endpoint["id"],
        )
        return bool(count and count >= 2)

    async with workers():
        await submitted(portal(key.secret))
        await wait_until(attempted, within=15)
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT error_class, status_code, outcome FROM webhook_attempts "
                    "WHERE endpoint_id = :id"
                ),
                {"id": endpoint["id"]},
            )
        ).all()
    assert rows
    assert {row.error_class for row in rows} == {"ssrf_blocked"}
    assert {row.status_code for row in rows} == {None}
    assert PUBLIC_NAME in rebound.asked  # type: ignore[attr-defined]
    assert sockets.calls == []  # neither the new nor the old address was dialled

    attempts = await client.get(
        f"{ENDPOINTS}/{endpoint['id']}/attempts", headers=auth(operator_key.secret)
    )
    assert {a["error_class"] for a in attempts.json()["items"]} == {"ssrf_blocked"}
