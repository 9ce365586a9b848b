"""The API does what its OpenAPI document says: undeclared query parameters, page sizes,
cursors, `If-Match: *`, and the webhooks section (Standard Webhooks headers, test vector)."""

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks import Webhook

from shared.webhooks.signing import signature_vectors
from tests.fixtures.api import auth
from tests.fixtures.builders import Key
from tests.fixtures.http import assert_problem, count_rows, error_pointers

WEBHOOK_HEADERS = {"webhook-id", "webhook-timestamp", "webhook-signature"}


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


class TestUndeclaredQueryParameters:
    @pytest.mark.parametrize(
        ("path", "params"),
        [
            ("/v1/projects", {"territory": "x"}),  # the filter is `territory_id`
            ("/v1/funds", {"limit": "2", "colour": "red", "size": "9"}),
            ("/v1/me", {"verbose": "1"}),
            ("/v1/events", {"type": "project.submitted"}),  # the filter is `types`
        ],
    )
    async def test_are_a_422_naming_each(
        self, client: httpx.AsyncClient, admin_key: Key, path: str, params: dict[str, str]
    ) -> None:
        response = await client.get(path, params=params, headers=auth(admin_key.secret))
        body = assert_problem(response, 422)
        unknown = {f"/query/{name}" for name in params if name != "limit"}
        assert set(error_pointers(body)) == unknown
        assert set(error_pointers(body).values()) == {"extra_forbidden"}

    async def test_a_write_with_one_writes_nothing(
        self, client: httpx.AsyncClient, admin_key: Key, sessionmaker: Any
    ) -> None:
        before = await count_rows(sessionmaker)
        response = await client.post(
            "/v1/operators",
            params={"dry_run": "1"},
            json={"code": "nouvel-operateur", "name": "Nouvel opérateur"},
            headers=auth(admin_key.secret),
        )
        assert error_pointers(assert_problem(response, 422)) == {
            "/query/dry_run": "extra_forbidden"
        }
        assert await count_rows(sessionmaker) == before

    async def test_public_operations_refuse_them_too(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/healthz", params={"full": "1"}), 422)

    def test_every_operation_documents_the_422(self, document: dict[str, Any]) -> None:
        missing = [
            (method, path)
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if "422" not in operation["responses"]
        ]
        assert missing == []


class TestPageSize:
    async def test_above_the_maximum_is_422_not_a_silent_cap(
        self, client: httpx.AsyncClient, admin_key: Key, app: FastAPI
    ) -> None:
        maximum = app.state.settings.PAGE_SIZE_MAX
        for path in ("/v1/communes", "/v1/events"):
            too_many = await client.get(
                path, params={"limit": maximum + 1}, headers=auth(admin_key.secret)
            )
            assert error_pointers(assert_problem(too_many, 422)) == {
                "/query/limit": "less_than_equal"
            }
        page = await client.get(
            "/v1/communes", params={"limit": maximum}, headers=auth(admin_key.secret)
        )
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) == maximum

    def test_the_document_states_the_same_maximum_everywhere(
        self, document: dict[str, Any], app: FastAPI
    ) -> None:
        settings = app.state.settings
        limits = [
            parameter
            for item in document["paths"].values()
            for operation in item.values()
            for parameter in operation.get("parameters", [])
            if parameter["name"] == "limit"
        ]
        assert len(limits) > 10
        for parameter in limits:
            assert parameter["schema"]["maximum"] == settings.PAGE_SIZE_MAX
            assert parameter["schema"]["default"] == settings.PAGE_SIZE_DEFAULT
            assert f"at most {settings.PAGE_SIZE_MAX}" in parameter["description"]


class TestCursors:
    async def test_a_forged_events_cursor_is_the_documented_400(
        self, client: httpx.AsyncClient, admin_key: Key, document: dict[str, Any]
    ) -> None:
        response = await client.get(
            "/v1/events", params={"after": "not-a-cursor"}, headers=auth(admin_key.secret)
        )
        assert_problem(response, 400)
        assert "400" in document["paths"]["/v1/events"]["get"]["responses"]


class TestIfMatchAny:
    async def test_star_matches_whatever_version_is_current(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        url = "/v1/operators/ademe"
        headers = auth(admin_key.secret)
        version = (await client.get(url, headers=headers)).json()["version"]
        changed = await client.patch(
            url, json={"name": "ADEME (agence)"}, headers={**headers, "If-Match": "*"}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["version"] == version + 1
        assert changed.json()["name"] == "ADEME (agence)"

    async def test_without_if_match_it_is_still_428(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.patch(
            "/v1/operators/ademe", json={"name": "x"}, headers=auth(admin_key.secret)
        )
        assert_problem(response, 428)

    def test_the_document_says_star_is_accepted(self, document: dict[str, Any]) -> None:
        operation = document["paths"]["/v1/operators/{operator_code}"]["patch"]
        header = next(p for p in operation["parameters"] if p["name"] == "If-Match")
        assert "`*`" in header["description"]
        assert {"412", "428"} <= set(operation["responses"])


class TestWebhooksSection:
    def test_every_webhook_declares_the_standard_webhooks_headers(
        self, document: dict[str, Any]
    ) -> None:
        assert document["webhooks"]
        for name, item in document["webhooks"].items():
            headers = {p["name"]: p for p in item["post"]["parameters"] if p["in"] == "header"}
            assert set(headers) == WEBHOOK_HEADERS, name
            assert all(header["required"] for header in headers.values()), name
            body = item["post"]["requestBody"]["content"]["application/json"]["schema"]
            schema = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
            assert "id" not in schema["properties"], name  # the id is the `webhook-id` header

    def test_the_published_test_vector_is_in_the_document_and_verifies(
        self, document: dict[str, Any]
    ) -> None:
        vector = signature_vectors()[0]
        operation = document["webhooks"]["application.submitted"]["post"]
        example = operation["requestBody"]["content"]["application/json"]["example"]
        assert example == json.loads(vector.body)
        assert f"```json\n{vector.body}\n```" in operation["description"]
        headers = {
            p["name"]: p["examples"]["test-vector"]["value"] for p in operation["parameters"]
        }
        assert headers == vector.headers()
        # What the document publishes is what the stock library signs.
        signed = Webhook(vector.secrets[0]).sign(
            headers["webhook-id"], datetime.fromtimestamp(vector.timestamp, UTC), vector.body
        )
        assert signed == headers["webhook-signature"]
