"""The webhook endpoints API: CRUD, tenancy, secrets, ping, stats, logs, resend, recovery."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from standardwebhooks import Webhook

from shared.settings import Settings
from tests.eligibility.flows import submitted
from tests.fixtures.api import auth
from tests.fixtures.builders import Key, MakeKey
from tests.fixtures.http import assert_problem, count_rows, error_pointers, list_all
from tests.fixtures.receiver import Answer, Receiver, serve, wait_until
from tests.webhooks.conftest import create_endpoint, scalar

ENDPOINTS = "/v1/webhook-endpoints"
SINK = "http://127.0.0.1:9/hook"
"""An allow-listed URL nobody listens on (endpoints that never receive in a test)."""


def if_match(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


@pytest.fixture
async def ademe_key(make_key: MakeKey) -> Key:
    return await make_key("operator", operator_code="ademe")


async def delivery_statuses(sessionmaker: Any, endpoint_id: str) -> list[str]:
    async with sessionmaker() as session:
        rows = await session.execute(
            text("SELECT status::text FROM webhook_deliveries WHERE endpoint_id = :id"),
            {"id": endpoint_id},
        )
        return [row[0] for row in rows]


class TestCrud:
    async def test_create_shows_the_secret_once_and_get_never(
        self, client: Any, operator_key: Key
    ) -> None:
        created = await create_endpoint(
            client,
            operator_key,
            SINK,
            description="Instruction",
            event_types=["application.scored"],
        )
        assert created["secret"].startswith("whsec_")
        assert created["operator_code"] == "bpifrance"
        assert created["state"] == "healthy"
        assert created["version"] == 1
        assert created["event_types"] == ["application.scored"]

        response = await client.get(
            f"{ENDPOINTS}/{created['id']}", headers=auth(operator_key.secret)
        )
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == '"1"'
        body = response.json()
        assert "secret" not in body
        assert created["secret"] not in response.text
        assert body["url"] == SINK
        assert body["description"] == "Instruction"

        listed = await list_all(client, ENDPOINTS, operator_key.secret)
        assert [item["id"] for item in listed] == [created["id"]]
        assert all("secret" not in item for item in listed)

    async def test_create_sets_location_and_etag(self, client: Any, operator_key: Key) -> None:
        response = await client.post(
            ENDPOINTS, json={"url": SINK}, headers=auth(operator_key.secret)
        )
        assert response.status_code == 201, response.text
        assert response.headers["location"] == f"{ENDPOINTS}/{response.json()['id']}"
        assert response.headers["etag"] == '"1"'

    async def test_patch_needs_if_match(self, client: Any, operator_key: Key) -> None:
        created = await create_endpoint(client, operator_key, SINK)
        url = f"{ENDPOINTS}/{created['id']}"
        headers = auth(operator_key.secret)

        missing = await client.patch(url, json={"description": "x"}, headers=headers)
        assert_problem(missing, 428)
        stale = await client.patch(
            url, json={"description": "x"}, headers={**headers, **if_match(7)}
        )
        assert_problem(stale, 412)

        changed = await client.patch(
            url,
            json={"description": "Nouvelle", "timeout_seconds": 10, "max_in_flight": 2},
            headers={**headers, **if_match(1)},
        )
        assert changed.status_code == 200, changed.text
        body = changed.json()
        assert body["description"] == "Nouvelle"
        assert body["timeout_seconds"] == 10
        assert body["max_in_flight"] == 2
        assert body["version"] == 2
        assert changed.headers["etag"] == '"2"'

        again = await client.patch(
            url, json={"description": "y"}, headers={**headers, **if_match(1)}
        )
        assert_problem(again, 412)

    async def test_patch_refuses_null_and_vets_the_url(
        self, client: Any, operator_key: Key
    ) -> None:
        created = await create_endpoint(client, operator_key, SINK)
        url = f"{ENDPOINTS}/{created['id']}"
        headers = {**auth(operator_key.secret), **if_match(1)}
        null = await client.patch(url, json={"url": None}, headers=headers)
        assert_problem(null, 422)
        private = await client.patch(url, json={"url": "https://10.0.0.5/h"}, headers=headers)
        assert "/body/url" in error_pointers(assert_problem(private, 422))

    async def test_delete_needs_if_match_then_204(self, client: Any, operator_key: Key) -> None:
        created = await create_endpoint(client, operator_key, SINK)
        url = f"{ENDPOINTS}/{created['id']}"
        headers = auth(operator_key.secret)
        assert_problem(await client.delete(url, headers=headers), 428)
        assert_problem(await client.delete(url, headers={**headers, **if_match(3)}), 412)
        deleted = await client.delete(url, headers={**headers, **if_match(1)})
        assert deleted.status_code == 204, deleted.text
        assert deleted.content == b""
        assert_problem(await client.get(url, headers=headers), 404)

    async def test_unknown_fund_code_is_422_with_a_pointer(
        self, client: Any, operator_key: Key
    ) -> None:
        response = await client.post(
            ENDPOINTS,
            json={"url": SINK, "fund_codes": ["fonds-acceleration", "fonds-inconnu"]},
            headers=auth(operator_key.secret),
        )
        body = assert_problem(response, 422)
        assert "/body/fund_codes/1" in error_pointers(body)

    async def test_unknown_event_type_is_422(self, client: Any, operator_key: Key) -> None:
        response = await client.post(
            ENDPOINTS,
            json={"url": SINK, "event_types": ["application.nope"]},
            headers=auth(operator_key.secret),
        )
        body = assert_problem(response, 422)
        assert any(p.startswith("/body/event_types") for p in error_pointers(body))

    async def test_the_secret_is_stored_encrypted(
        self, client: Any, operator_key: Key, sessionmaker: Any
    ) -> None:
        created = await create_endpoint(client, operator_key, SINK)
        stored = await scalar(
            sessionmaker,
            "SELECT secret_ciphertext FROM webhook_endpoints WHERE id = :id",
            id=created["id"],
        )
        secret = created["secret"]
        assert stored
        assert secret not in stored
        assert secret.removeprefix("whsec_") not in stored


class TestTenancy:
    async def test_operators_see_and_manage_only_their_own(
        self, client: Any, operator_key: Key, ademe_key: Key, admin_key: Key
    ) -> None:
        mine = await create_endpoint(client, operator_key, SINK)
        theirs = await create_endpoint(client, ademe_key, SINK)
        assert theirs["operator_code"] == "ademe"
        headers = auth(operator_key.secret)
        url = f"{ENDPOINTS}/{theirs['id']}"

        assert_problem(await client.get(url, headers=headers), 404)
        assert_problem(
            await client.patch(url, json={"description": "x"}, headers={**headers, **if_match(1)}),
            404,
        )
        assert_problem(await client.delete(url, headers={**headers, **if_match(1)}), 404)
        for action in ("rotate-secret", "disable", "enable", "ping"):
            assert_problem(await client.post(f"{url}/{action}", headers=headers), 404)
        assert_problem(await client.get(f"{url}/stats", headers=headers), 404)
        assert_problem(await client.get(f"{url}/deliveries", headers=headers), 404)
        assert_problem(await client.get(f"{url}/attempts", headers=headers), 404)

        listed = await list_all(client, ENDPOINTS, operator_key.secret)
        assert [item["id"] for item in listed] == [mine["id"]]

        everything = await list_all(client, ENDPOINTS, admin_key.secret)
        assert {item["id"] for item in everything} == {mine["id"], theirs["id"]}
        only_ademe = await list_all(client, ENDPOINTS, admin_key.secret, {"operator_code": "ademe"})
        assert [item["id"] for item in only_ademe] == [theirs["id"]]

    async def test_admin_must_name_the_operator(self, client: Any, admin_key: Key) -> None:
        headers = auth(admin_key.secret)
        missing = await client.post(ENDPOINTS, json={"url": SINK}, headers=headers)
        assert "/body/operator_code" in error_pointers(assert_problem(missing, 422))
        unknown = await client.post(
            ENDPOINTS, json={"url": SINK, "operator_code": "nobody"}, headers=headers
        )
        assert "/body/operator_code" in error_pointers(assert_problem(unknown, 422))
        created = await client.post(
            ENDPOINTS, json={"url": SINK, "operator_code": "france-travail"}, headers=headers
        )
        assert created.status_code == 201, created.text
        assert created.json()["operator_code"] == "france-travail"

    async def test_an_operator_key_cannot_create_for_another_operator(
        self, client: Any, operator_key: Key
    ) -> None:
        response = await client.post(
            ENDPOINTS,
            json={"url": SINK, "operator_code": "ademe"},
            headers=auth(operator_key.secret),
        )
        assert_problem(response, 403)
        own = await client.post(
            ENDPOINTS,
            json={"url": SINK, "operator_code": "bpifrance"},
            headers=auth(operator_key.secret),
        )
        assert own.status_code == 201, own.text

    @pytest.mark.parametrize("role", ["territory", "observer"])
    async def test_territory_and_observer_keys_are_forbidden(
        self,
        client: Any,
        role: str,
        make_key: MakeKey,
        territory_key: Any,
        operator_key: Key,
    ) -> None:
        _, territory_secret = territory_key
        key = territory_secret if role == "territory" else await make_key("observer")
        endpoint = await create_endpoint(client, operator_key, SINK)
        headers = auth(key.secret)
        assert_problem(await client.get(ENDPOINTS, headers=headers), 403)
        assert_problem(await client.post(ENDPOINTS, json={"url": SINK}, headers=headers), 403)
        assert_problem(await client.get(f"{ENDPOINTS}/{endpoint['id']}", headers=headers), 403)
        assert_problem(
            await client.post(f"{ENDPOINTS}/{endpoint['id']}/ping", headers=headers), 403
        )

    async def test_anonymous_is_401(self, client: Any) -> None:
        assert_problem(await client.get(ENDPOINTS), 401)


class TestSecretsAndState:
    async def test_rotate_returns_a_new_secret_and_a_72h_grace(
        self, client: Any, operator_key: Key, sessionmaker: Any
    ) -> None:
        created = await create_endpoint(client, operator_key, SINK)
        before = datetime.now(UTC)
        response = await client.post(
            f"{ENDPOINTS}/{created['id']}/rotate-secret", headers=auth(operator_key.secret)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["secret"].startswith("whsec_")
        assert body["secret"] != created["secret"]
        expires = datetime.fromisoformat(body["previous_secret_expires_at"])
        expected = before + timedelta(hours=72)
        assert abs(expires - expected) < timedelta(seconds=30)
        shown = await client.get(f"{ENDPOINTS}/{created['id']}", headers=auth(operator_key.secret))
        assert "secret" not in shown.json()
        assert body["secret"] not in shown.text
        assert datetime.fromisoformat(shown.json()["previous_secret_expires_at"]) == expires
        stored = await scalar(
            sessionmaker,
            "SELECT secret_ciphertext || previous_secret_ciphertext FROM webhook_endpoints "
            "WHERE id = :id",
            id=created["id"],
        )
        assert body["secret"].removeprefix("whsec_") not in stored
        assert created["secret"].removeprefix("whsec_") not in stored

    async def test_disable_then_enable(self, client: Any, operator_key: Key) -> None:
        created = await create_endpoint(client, operator_key, SINK)
        url = f"{ENDPOINTS}/{created['id']}"
        headers = auth(operator_key.secret)
        disabled = await client.post(f"{url}/disable", headers=headers)
        assert disabled.status_code == 200, disabled.text
        assert disabled.json()["state"] == "disabled"
        assert disabled.json()["disabled_reason"] == "owner"
        listed = await list_all(client, ENDPOINTS, operator_key.secret, {"state": "disabled"})
        assert [item["id"] for item in listed] == [created["id"]]
        assert await list_all(client, ENDPOINTS, operator_key.secret, {"state": "healthy"}) == []

        enabled = await client.post(f"{url}/enable", headers=headers)
        assert enabled.status_code == 200, enabled.text
        assert enabled.json()["state"] == "healthy"
        assert enabled.json()["disabled_reason"] is None
        assert enabled.json()["consecutive_failures"] == 0


class TestPing:
    async def test_ping_reaches_that_endpoint_only_and_verifies(
        self,
        client: Any,
        operator_key: Key,
        workers: Any,
        sessionmaker: Any,
    ) -> None:
        async with (
            serve(Receiver()) as pinged,
            serve(Receiver()) as other,
            workers(),
        ):
            target = await create_endpoint(client, operator_key, pinged.url)
            sibling = await create_endpoint(client, operator_key, other.url)
            response = await client.post(
                f"{ENDPOINTS}/{target['id']}/ping", headers=auth(operator_key.secret)
            )
            assert response.status_code == 202, response.text
            result = response.json()
            await wait_until(lambda: len(pinged.received) >= 1)
            await wait_until(
                lambda: _delivery_status(sessionmaker, result["delivery_id"], "succeeded")
            )
        assert len(pinged.received) == 1
        assert other.received == []
        request = pinged.received[0]
        payload = Webhook(target["secret"]).verify(request.body, request.headers)
        assert payload["type"] == "endpoint.ping"
        assert payload["data"]["id"] == target["id"]
        assert request.headers["webhook-id"] == result["event_id"]
        assert await delivery_statuses(sessionmaker, sibling["id"]) == []

        delivery = await client.get(
            f"{ENDPOINTS}/{target['id']}/deliveries/{result['delivery_id']}",
            headers=auth(operator_key.secret),
        )
        assert delivery.status_code == 200, delivery.text
        assert delivery.json()["event_type"] == "endpoint.ping"
        assert delivery.json()["status"] == "succeeded"
        assert delivery.json()["event_id"] == result["event_id"]

    async def test_ping_ignores_the_endpoint_filters(
        self, client: Any, operator_key: Key, sessionmaker: Any
    ) -> None:
        target = await create_endpoint(
            client,
            operator_key,
            SINK,
            event_types=["application.scored"],
            fund_codes=["fonds-acceleration"],
        )
        response = await client.post(
            f"{ENDPOINTS}/{target['id']}/ping", headers=auth(operator_key.secret)
        )
        assert response.status_code == 202, response.text
        assert await delivery_statuses(sessionmaker, target["id"]) == ["pending"]

    async def test_pings_count_in_the_endpoint_sequence(
        self, client: Any, operator_key: Key, sessionmaker: Any
    ) -> None:
        target = await create_endpoint(client, operator_key, SINK)
        for _ in range(3):
            response = await client.post(
                f"{ENDPOINTS}/{target['id']}/ping", headers=auth(operator_key.secret)
            )
            assert response.status_code == 202, response.text
        async with sessionmaker() as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT sequence, (data->>'sequence')::bigint FROM events "
                        "WHERE subject_id = :id ORDER BY position"
                    ),
                    {"id": target["id"]},
                )
            ).all()
        assert [tuple(row) for row in rows] == [(1, 1), (2, 2), (3, 3)]


class TestFundsOfAnotherOperator:
    """An endpoint receives its own operator's funds' events: naming another's is refused."""

    async def test_create_is_422_and_writes_nothing(
        self, client: Any, operator_key: Key, sessionmaker: Any
    ) -> None:
        before = await count_rows(sessionmaker)
        endpoints = await scalar(sessionmaker, "SELECT count(*) FROM webhook_endpoints")
        response = await client.post(
            ENDPOINTS,
            json={"url": SINK, "fund_codes": ["fonds-acceleration", "fonds-vert-ti"]},
            headers=auth(operator_key.secret),
        )
        body = assert_problem(response, 422)
        assert error_pointers(body) == {"/body/fund_codes/1": "unknown-fund"}
        assert "another operator" in body["detail"]
        assert await count_rows(sessionmaker) == before
        assert await scalar(sessionmaker, "SELECT count(*) FROM webhook_endpoints") == endpoints

    async def test_an_admin_cannot_either(self, client: Any, admin_key: Key) -> None:
        response = await client.post(
            ENDPOINTS,
            json={"url": SINK, "operator_code": "bpifrance", "fund_codes": ["fonds-friches"]},
            headers=auth(admin_key.secret),
        )
        assert error_pointers(assert_problem(response, 422)) == {
            "/body/fund_codes/0": "unknown-fund"
        }

    async def test_update_is_422_and_changes_nothing(
        self, client: Any, operator_key: Key, sessionmaker: Any
    ) -> None:
        created = await create_endpoint(client, operator_key, SINK)
        url = f"{ENDPOINTS}/{created['id']}"
        before = await count_rows(sessionmaker)
        response = await client.patch(
            url,
            json={"fund_codes": ["ecoles-de-production"]},
            headers={**auth(operator_key.secret), **if_match(1)},
        )
        assert error_pointers(assert_problem(response, 422)) == {
            "/body/fund_codes/0": "unknown-fund"
        }
        assert await count_rows(sessionmaker) == before
        current = (await client.get(url, headers=auth(operator_key.secret))).json()
        assert (current["fund_codes"], current["version"]) == ([], 1)


async def _delivery_status(sessionmaker: Any, delivery_id: str, status: str) -> bool:
    found = await scalar(
        sessionmaker,
        "SELECT status::text FROM webhook_deliveries WHERE id = :id",
        id=delivery_id,
    )
    return bool(found == status)


async def _all_deliveries(sessionmaker: Any, endpoint_id: str, status: str, count: int) -> bool:
    found = await scalar(
        sessionmaker,
        "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = :id "
        "AND status = CAST(:status AS delivery_status)",
        id=endpoint_id,
        status=status,
    )
    return bool(found == count)


class TestLogs:
    async def test_stats_deliveries_and_attempts_after_some_deliveries(
        self,
        client: Any,
        portal: Any,
        operator_key: Key,
        territory_key: Any,
        workers: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        headers = auth(operator_key.secret)
        async with serve(Receiver()) as receiver, workers():
            endpoint = await create_endpoint(client, operator_key, receiver.url)
            application = await submitted(portal(key.secret))
            await wait_until(lambda: _all_deliveries(sessionmaker, endpoint["id"], "succeeded", 2))
        base = f"{ENDPOINTS}/{endpoint['id']}"

        stats = await client.get(f"{base}/stats", headers=headers)
        assert stats.status_code == 200, stats.text
        figures = stats.json()
        assert figures["state"] == "healthy"
        assert figures["attempts_1h"] == 2
        assert figures["attempts_24h"] == 2
        assert figures["success_rate_1h"] == 1.0
        assert figures["success_rate_24h"] == 1.0
        assert figures["latency_p50_ms"] is not None
        assert figures["latency_p95_ms"] is not None
        assert figures["latency_p95_ms"] >= figures["latency_p50_ms"] >= 0
        assert figures["pending"] == 0
        assert figures["failed"] == 0

        first = await client.get(f"{base}/deliveries", params={"limit": 1}, headers=headers)
        assert first.status_code == 200, first.text
        page = first.json()
        assert len(page["items"]) == 1
        assert page["next_cursor"]
        second = await client.get(
            f"{base}/deliveries",
            params={"limit": 1, "cursor": page["next_cursor"]},
            headers=headers,
        )
        assert second.status_code == 200, second.text
        assert len(second.json()["items"]) == 1
        rest = second.json()["next_cursor"]
        if rest is not None:
            third = await client.get(
                f"{base}/deliveries", params={"limit": 1, "cursor": rest}, headers=headers
            )
            assert third.json()["items"] == []
            assert third.json()["next_cursor"] is None
        items = page["items"] + second.json()["items"]
        assert {item["event_type"] for item in items} == {
            "application.submitted",
            "application.scored",
        }
        # newest first
        assert items[0]["created_at"] >= items[1]["created_at"]
        assert all(item["status"] == "succeeded" and item["attempts"] == 1 for item in items)
        assert all(item["last_status_code"] == 200 for item in items)
        assert set(receiver.ids()) == {item["event_id"] for item in items}

        async def listed(params: dict[str, Any]) -> list[dict[str, Any]]:
            return await list_all(client, f"{base}/deliveries", operator_key.secret, params)

        assert len(await listed({"status": "succeeded"})) == 2
        assert await listed({"status": "failed"}) == []
        scored = await listed({"event_type": "application.scored"})
        assert [item["event_type"] for item in scored] == ["application.scored"]
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        assert await listed({"created_after": future}) == []
        assert len(await listed({"created_after": past})) == 2
        assert await listed({"created_before": past}) == []
        bad = await client.get(f"{base}/deliveries", params={"status": "lost"}, headers=headers)
        assert_problem(bad, 422)

        attempts = await list_all(client, f"{base}/attempts", operator_key.secret)
        assert len(attempts) == 2
        assert attempts[0]["id"] > attempts[1]["id"]
        assert all(a["outcome"] == "success" and a["status_code"] == 200 for a in attempts)
        assert all(a["response_excerpt"] == "ok" and a["probe"] is False for a in attempts)
        one = await list_all(
            client, f"{base}/attempts", operator_key.secret, {"delivery_id": scored[0]["id"]}
        )
        assert [a["delivery_id"] for a in one] == [scored[0]["id"]]
        page1 = await client.get(f"{base}/attempts", params={"limit": 1}, headers=headers)
        assert page1.json()["next_cursor"]
        page2 = await client.get(
            f"{base}/attempts",
            params={"limit": 1, "cursor": page1.json()["next_cursor"]},
            headers=headers,
        )
        assert page2.json()["items"][0]["id"] < page1.json()["items"][0]["id"]

        missing = await client.get(
            f"{base}/deliveries/00000000-0000-4000-8000-000000000000", headers=headers
        )
        assert_problem(missing, 404)
        assert application["fund_code"] == "fonds-acceleration"


class TestReplay:
    async def test_resend_sends_the_same_webhook_id_again(
        self,
        client: Any,
        portal: Any,
        operator_key: Key,
        territory_key: Any,
        workers: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        headers = auth(operator_key.secret)
        async with serve(Receiver()) as receiver, workers():
            endpoint = await create_endpoint(
                client, operator_key, receiver.url, event_types=["application.submitted"]
            )
            await submitted(portal(key.secret))
            await wait_until(lambda: _all_deliveries(sessionmaker, endpoint["id"], "succeeded", 1))
            [delivery] = await list_all(
                client, f"{ENDPOINTS}/{endpoint['id']}/deliveries", operator_key.secret
            )
            response = await client.post(
                f"{ENDPOINTS}/{endpoint['id']}/deliveries/{delivery['id']}/resend",
                headers=headers,
            )
            assert response.status_code == 202, response.text
            assert response.json()["status"] == "pending"
            assert response.json()["attempts"] == 0
            await wait_until(lambda: len(receiver.received) >= 2)
            await wait_until(lambda: _all_deliveries(sessionmaker, endpoint["id"], "succeeded", 1))
        ids = receiver.ids()
        assert ids == [delivery["event_id"], delivery["event_id"]]
        verifier = Webhook(endpoint["secret"])
        first, again = (verifier.verify(r.body, r.headers) for r in receiver.received)
        assert first == again
        attempts = await list_all(
            client,
            f"{ENDPOINTS}/{endpoint['id']}/attempts",
            operator_key.secret,
            {"delivery_id": delivery["id"]},
        )
        assert len(attempts) == 2

    async def test_recovery_resends_failed_messages_with_progress(
        self,
        client: Any,
        portal: Any,
        operator_key: Key,
        territory_key: Any,
        workers: Any,
        sessionmaker: Any,
        test_settings: Settings,
    ) -> None:
        _, key = territory_key
        headers = auth(operator_key.secret)
        settings = test_settings.model_copy(update={"WEBHOOK_RETRY_SCHEDULE_SECONDS": [0, 0.1]})
        receiver = Receiver(lambda _n, _r: Answer(status=500, body=b"down"))
        async with serve(receiver), workers(settings):
            endpoint = await create_endpoint(client, operator_key, receiver.url)
            base = f"{ENDPOINTS}/{endpoint['id']}"
            started = datetime.now(UTC) - timedelta(minutes=5)
            await submitted(portal(key.secret))
            await wait_until(lambda: _all_deliveries(sessionmaker, endpoint["id"], "failed", 2))
            failed = await list_all(
                client, f"{base}/deliveries", operator_key.secret, {"status": "failed"}
            )
            assert len(failed) == 2
            assert all(d["attempts"] == 2 and d["last_status_code"] == 500 for d in failed)
            attempts = await list_all(client, f"{base}/attempts", operator_key.secret)
            assert len(attempts) == 4
            assert {a["response_excerpt"] for a in attempts} == {"down"}
            stats = (await client.get(f"{base}/stats", headers=headers)).json()
            assert stats["failed"] == 2
            assert stats["success_rate_1h"] == 0.0
            failed_ids = {d["event_id"] for d in failed}
            assert set(receiver.ids()) == failed_ids

            receiver.script = lambda _n, _r: Answer(status=200)
            before = len(receiver.received)
            response = await client.post(
                f"{base}/recoveries", json={"since": started.isoformat()}, headers=headers
            )
            assert response.status_code == 202, response.text
            run = response.json()
            assert run["total"] == 2
            assert run["endpoint_id"] == endpoint["id"]

            async def finished() -> bool:
                progress = await client.get(f"{base}/recoveries/{run['id']}", headers=headers)
                assert progress.status_code == 200, progress.text
                body = progress.json()
                return bool(body["status"] == "done" and body["done"] == 2)

            await wait_until(finished)
            await wait_until(lambda: _all_deliveries(sessionmaker, endpoint["id"], "succeeded", 2))
        assert set(receiver.ids()[before:]) == failed_ids
        done = (await client.get(f"{base}/recoveries/{run['id']}", headers=headers)).json()
        assert done["finished_at"] is not None

    async def test_recovery_refuses_bad_ranges(self, client: Any, operator_key: Key) -> None:
        endpoint = await create_endpoint(client, operator_key, SINK)
        base = f"{ENDPOINTS}/{endpoint['id']}"
        headers = auth(operator_key.secret)
        now = datetime.now(UTC)
        too_long = await client.post(
            f"{base}/recoveries",
            json={"since": (now - timedelta(days=31)).isoformat()},
            headers=headers,
        )
        assert_problem(too_long, 422)
        backwards = await client.post(
            f"{base}/recoveries",
            json={
                "since": now.isoformat(),
                "until": (now - timedelta(hours=1)).isoformat(),
            },
            headers=headers,
        )
        assert "/body/until" in error_pointers(assert_problem(backwards, 422))
        empty = await client.post(
            f"{base}/recoveries",
            json={"since": (now - timedelta(hours=1)).isoformat()},
            headers=headers,
        )
        assert empty.status_code == 202, empty.text
        assert empty.json()["status"] == "done"
        assert empty.json()["total"] == 0
        unknown = await client.get(
            f"{base}/recoveries/00000000-0000-4000-8000-000000000000", headers=headers
        )
        assert_problem(unknown, 404)
