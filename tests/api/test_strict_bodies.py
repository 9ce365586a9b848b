"""Request bodies are strict: no coercion, bounded integers, future expiries, and updates
whose fields are nullable only where null is stored — as the OpenAPI document says.
"""

from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.applications.schemas import ApplicationCreate
from tests.fixtures.api import auth
from tests.fixtures.bodies import application_body, project_body
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.http import assert_problem, error_pointers

UNKNOWN = "5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11"
FUND = {"code": "fonds-test", "name": "Fonds de test", "operator_code": "ademe"}
HOLDER = cast(dict[str, Any], project_body()["holder"])


async def _rows(sessionmaker: async_sessionmaker[AsyncSession], table: str) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608


@pytest.fixture
async def territory_key(make_territory: MakeTerritory, make_key: MakeKey) -> Key:
    territory = await make_territory("ti-pontivy")
    return await make_key("territory", territory_id=territory.id)


class TestNoCoercion:
    @pytest.mark.parametrize(
        ("changes", "pointer"),
        [
            ({"investment_total_cents": True}, "/body/investment_total_cents"),
            ({"investment_total_cents": "1250000000"}, "/body/investment_total_cents"),
            ({"investment_total_cents": 1_250_000_000.5}, "/body/investment_total_cents"),
            ({"investment_total_cents": 1e300}, "/body/investment_total_cents"),
            ({"jobs_created": True}, "/body/jobs_created"),
            ({"jobs_created": "35"}, "/body/jobs_created"),
            ({"is_collective": "yes"}, "/body/is_collective"),
            ({"is_collective": 1}, "/body/is_collective"),
            ({"planned_start": 0}, "/body/planned_start"),
            ({"planned_start": "0"}, "/body/planned_start"),
            ({"planned_start": "2027-03-01T00:00:00Z"}, "/body/planned_start"),
            ({"relocation": {"flag": "true"}}, "/body/relocation/flag"),
            (
                {"holder": {**HOLDER, "headcount": 2**40}},
                "/body/holder/headcount",
            ),
            (
                {"holder": {**HOLDER, "headcount": "180"}},
                "/body/holder/headcount",
            ),
        ],
    )
    async def test_a_project_with_a_coercible_value_is_422_and_not_stored(
        self,
        client: httpx.AsyncClient,
        territory_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        changes: dict[str, Any],
        pointer: str,
    ) -> None:
        body = project_body(**changes)
        response = await client.post("/v1/projects", json=body, headers=auth(territory_key.secret))
        assert pointer in error_pointers(assert_problem(response, 422))
        assert await _rows(sessionmaker, "projects") == 0

    async def test_strings_still_carry_uuids_enums_and_iso_dates(
        self, client: httpx.AsyncClient, admin_key: Key, make_territory: MakeTerritory
    ) -> None:
        territory = await make_territory("ti-pontivy")
        body = project_body(territory.id, relocation={"flag": True, "from_country": "CN"})
        response = await client.post("/v1/projects", json=body, headers=auth(admin_key.secret))
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["territory_id"] == str(territory.id)
        assert (created["nature"], created["planned_start"]) == ("extension", "2027-03-01")

    @pytest.mark.parametrize(
        ("changes", "pointer"),
        [
            ({"timeout_seconds": "15"}, "/body/timeout_seconds"),
            ({"max_in_flight": 2**31}, "/body/max_in_flight"),
            ({"timeout_seconds": 2**63}, "/body/timeout_seconds"),
        ],
    )
    async def test_small_integer_columns_get_a_422_never_an_overflow(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        changes: dict[str, Any],
        pointer: str,
    ) -> None:
        body = {"url": "https://hooks.example.org/tidi", "operator_code": "bpifrance", **changes}
        response = await client.post(
            "/v1/webhook-endpoints", json=body, headers=auth(admin_key.secret)
        )
        assert pointer in error_pointers(assert_problem(response, 422))
        assert await _rows(sessionmaker, "webhook_endpoints") == 0


class TestWholeNumbers:
    """A JSON number with a zero fraction is an integer (JSON Schema says so): `12.0` is 12."""

    async def test_a_whole_float_timeout_is_read_as_an_integer(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        body = {"url": "https://localhost/x", "operator_code": "bpifrance", "timeout_seconds": 12.0}
        response = await client.post(
            "/v1/webhook-endpoints", json=body, headers=auth(admin_key.secret)
        )
        assert response.status_code == 201, response.text
        assert response.json()["timeout_seconds"] == 12

    async def test_a_whole_float_amount_is_read_as_an_integer(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        body = {**FUND, "envelope_cents": 434335205283.0}
        response = await client.post("/v1/funds", json=body, headers=auth(admin_key.secret))
        assert response.status_code == 201, response.text
        assert response.json()["envelope_cents"] == 434_335_205_283

    @pytest.mark.parametrize("envelope", [1e300, -1e300, 12.5, "12", False])
    async def test_a_float_out_of_bounds_or_not_whole_is_422(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        envelope: object,
    ) -> None:
        before = await _rows(sessionmaker, "funds")
        body = {**FUND, "envelope_cents": envelope}
        response = await client.post("/v1/funds", json=body, headers=auth(admin_key.secret))
        assert "/body/envelope_cents" in error_pointers(assert_problem(response, 422))
        assert await _rows(sessionmaker, "funds") == before

    def test_a_nested_whole_float_is_read_as_an_integer(self) -> None:
        attachment = {"name": "kbis.pdf", "media_type": "application/pdf", "sha256": "0" * 64}
        body = application_body(UNKNOWN, attachments=[{**attachment, "size_bytes": 2548.0}])
        assert ApplicationCreate.model_validate(body).attachments[0].size_bytes == 2548
        with pytest.raises(ValidationError):
            ApplicationCreate.model_validate({**body, "prior_deminimis_cents": 1.5})


class TestKeyExpiry:
    @pytest.mark.parametrize(
        "expires_at", [0, "0", "1700000000", "2026-01-01T00:00:00Z", "2030-01-01T00:00:00"]
    )
    async def test_an_expiry_not_in_the_future_or_not_iso_is_422(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        expires_at: object,
    ) -> None:
        before = await _rows(sessionmaker, "api_keys")
        body = {"name": "portail", "role": "observer", "expires_at": expires_at}
        response = await client.post("/v1/api-keys", json=body, headers=auth(admin_key.secret))
        assert "/body/expires_at" in error_pointers(assert_problem(response, 422))
        assert await _rows(sessionmaker, "api_keys") == before

    async def test_a_future_expiry_is_kept_in_utc(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        body = {"name": "portail", "role": "observer", "expires_at": "2035-01-01T01:00:00+01:00"}
        response = await client.post("/v1/api-keys", json=body, headers=auth(admin_key.secret))
        assert response.status_code == 201, response.text
        assert response.json()["expires_at"].startswith("2035-01-01T00:00:00")


# (PATCH path, field refused as null, fields that may be null: they clear a stored value)
UPDATES = [
    ("/v1/projects/" + UNKNOWN, "is_collective", {"planned_start", "planned_end"}),
    (
        "/v1/applications/" + UNKNOWN,
        "answers",
        {
            "requested_amount_cents",
            "eligible_expense_base_cents",
            "aid_form",
            "expense_holder_siren",  # null: clears it
            "prior_deminimis_cents",  # null: no longer declared (unknown)
            "territory_opinion",
        },
    ),
    (
        "/v1/funds/fonds-acceleration",
        "regional_preselection",
        {"max_award_cents", "opens_at", "closes_at", "source_url", "question_schema"},
    ),
    ("/v1/territories/" + UNKNOWN, "epci_sirens", set()),
    ("/v1/territories/" + UNKNOWN, "contacts", set()),
    ("/v1/operators/bpifrance", "kind", {"region_code", "website"}),
    ("/v1/webhook-endpoints/" + UNKNOWN, "max_in_flight", set()),
]


def _mentions_null(schema: Any) -> bool:
    if isinstance(schema, dict):
        return schema.get("type") == "null" or any(_mentions_null(v) for v in schema.values())
    return isinstance(schema, list) and any(_mentions_null(v) for v in schema)


def _update_schema(app: FastAPI, path: str) -> dict[str, Any]:
    document = app.openapi()
    template = path.rsplit("/", 1)[0]
    [item] = [v for k, v in document["paths"].items() if k.rsplit("/", 1)[0] == template]
    ref = item["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return dict(document["components"]["schemas"][ref.rsplit("/", 1)[1]])


class TestUpdatesSayWhatIsNullable:
    @pytest.mark.parametrize(("path", "field"), [(path, field) for path, field, _ in UPDATES])
    async def test_null_where_it_means_nothing_is_422_with_its_pointer(
        self, client: httpx.AsyncClient, admin_key: Key, path: str, field: str
    ) -> None:
        headers = {**auth(admin_key.secret), "If-Match": '"1"'}
        response = await client.patch(path, json={field: None}, headers=headers)
        assert error_pointers(assert_problem(response, 422)) == {f"/body/{field}": "value_error"}

    @pytest.mark.parametrize(("path", "field", "nullable"), UPDATES)
    def test_the_openapi_schema_has_null_only_where_it_is_accepted(
        self, app: FastAPI, path: str, field: str, nullable: set[str]
    ) -> None:
        schema = _update_schema(app, path)
        assert not _mentions_null(schema["properties"][field])
        shown = {name for name, prop in schema["properties"].items() if _mentions_null(prop)}
        assert shown == nullable
