"""The request schemas of the OpenAPI document say what the API accepts: a body the API
refuses is refused by the document too, unless the refusal has its own documented type.
"""

import copy
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from jsonschema import Draft202012Validator

from tests.fixtures.api import auth
from tests.fixtures.bodies import project_body
from tests.fixtures.builders import Key, MakeTerritory
from tests.fixtures.http import assert_problem, error_pointers

TERRITORY = {"code": "ti-test", "name": "Test", "region_code": "99"}
UNKNOWN = "5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11"
FUND = {"code": "fonds-test", "name": "Fonds de test", "operator_code": "ademe"}


def document_accepts(document: dict[str, Any], method: str, path: str, body: object) -> bool:
    """Whether `body` is valid against the request body schema of an operation."""
    content = document["paths"][path][method]["requestBody"]["content"]
    schema = {**content["application/json"]["schema"], "components": document["components"]}
    return Draft202012Validator(schema).is_valid(body)


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


class TestQuestionSchema:
    @pytest.mark.parametrize(
        ("questions", "accepted"),
        [
            ({}, False),
            ({"type": "array"}, False),
            ({"properties": {}}, False),
            ({"type": "object"}, True),
            ({"type": "object", "properties": {"x": {"type": "integer"}}}, True),
        ],
    )
    def test_the_document_requires_an_object_schema(
        self, document: dict[str, Any], questions: dict[str, Any], accepted: bool
    ) -> None:
        body = {**FUND, "question_schema": questions}
        assert document_accepts(document, "post", "/v1/funds", body) is accepted

    async def test_a_schema_the_meta_schema_refuses_has_its_own_error_type(
        self, client: httpx.AsyncClient, admin_key: Key, document: dict[str, Any]
    ) -> None:
        body = {**FUND, "question_schema": {"type": "object", "properties": 5}}
        assert document_accepts(document, "post", "/v1/funds", body)
        response = await client.post("/v1/funds", json=body, headers=auth(admin_key.secret))
        problem = assert_problem(response, 422)
        assert error_pointers(problem) == {"/body/question_schema": "invalid-question-schema"}


class TestSiren:
    @pytest.mark.parametrize(
        ("siren", "accepted"),
        [
            ("24060200755", False),
            ("85 563100", False),
            ("552.100.554", False),
            ("552100554", True),
            (" 552 100 554 ", True),
        ],
    )
    async def test_the_document_and_the_api_agree_on_the_shape(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        document: dict[str, Any],
        siren: str,
        accepted: bool,
    ) -> None:
        body = {**TERRITORY, "epci_sirens": [siren]}
        assert document_accepts(document, "post", "/v1/territories", body) is accepted
        response = await client.post("/v1/territories", json=body, headers=auth(admin_key.secret))
        kind = error_pointers(response.json()).get("/body/epci_sirens/0")
        assert (kind != "string_pattern_mismatch") is accepted, response.text

    async def test_a_wrong_check_digit_has_its_own_error_type(
        self, client: httpx.AsyncClient, admin_key: Key, document: dict[str, Any]
    ) -> None:
        body = {**TERRITORY, "epci_sirens": ["552100555"]}
        assert document_accepts(document, "post", "/v1/territories", body)
        response = await client.post("/v1/territories", json=body, headers=auth(admin_key.secret))
        assert error_pointers(assert_problem(response, 422)) == {
            "/body/epci_sirens/0": "invalid-siren"
        }


class TestKeyBinding:
    @pytest.mark.parametrize(
        ("binding", "accepted"),
        [
            ({"role": "territory", "territory_id": None}, False),
            ({"role": "territory"}, False),
            ({"role": "admin", "territory_id": UNKNOWN}, False),
            ({"role": "observer", "operator_code": "bpifrance"}, False),
            ({"role": "operator", "operator_code": None}, False),
            ({"role": "territory", "territory_id": UNKNOWN, "operator_code": "ademe"}, False),
            ({"role": "territory", "territory_id": UNKNOWN}, True),
            ({"role": "operator", "operator_code": "bpifrance", "territory_id": None}, True),
            ({"role": "admin", "territory_id": None, "operator_code": None}, True),
            ({"role": "observer"}, True),
        ],
    )
    def test_the_document_ties_the_binding_to_the_role(
        self, document: dict[str, Any], binding: dict[str, Any], accepted: bool
    ) -> None:
        body = {"name": "portail", **binding}
        assert document_accepts(document, "post", "/v1/api-keys", body) is accepted

    @pytest.mark.parametrize(
        "binding",
        [{"role": "territory", "territory_id": None}, {"role": "admin", "operator_code": "ademe"}],
    )
    async def test_a_binding_the_document_refuses_is_422(
        self, client: httpx.AsyncClient, admin_key: Key, binding: dict[str, Any]
    ) -> None:
        body = {"name": "portail", **binding}
        response = await client.post("/v1/api-keys", json=body, headers=auth(admin_key.secret))
        assert assert_problem(response, 422)["type"].endswith("/invalid-key-binding")


class TestRelocation:
    @pytest.mark.parametrize(
        ("relocation", "accepted"),
        [
            ({"from_country": "CN", "flag": False}, False),
            ({"from_country": "CN"}, False),
            ({"flag": True, "from_country": "CN"}, True),
            ({"flag": True, "from_country": None}, True),
            ({"flag": True}, True),
            ({"flag": False, "from_country": None}, True),
            ({}, True),
        ],
    )
    async def test_the_document_and_the_api_agree(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        make_territory: MakeTerritory,
        document: dict[str, Any],
        relocation: dict[str, Any],
        accepted: bool,
    ) -> None:
        territory = await make_territory("ti-pontivy")
        body = project_body(territory.id, relocation=relocation)
        assert document_accepts(document, "post", "/v1/projects", body) is accepted
        response = await client.post("/v1/projects", json=body, headers=auth(admin_key.secret))
        assert (response.status_code == 201) is accepted, response.text


class TestRoutingRule:
    @pytest.mark.parametrize(
        ("rule", "accepted"),
        [
            ({"field": "nature", "value": "0"}, False),
            ({"field": "nature", "value": "recrutement"}, False),
            ({"field": "priority", "value": "extension"}, False),
            ({"field": "nature", "value": "extension"}, True),
            ({"field": "priority", "value": "recrutement"}, True),
        ],
    )
    async def test_the_document_ties_the_value_to_the_field(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        document: dict[str, Any],
        rule: dict[str, Any],
        accepted: bool,
    ) -> None:
        body = {"operator_code": "bpifrance", **rule}
        assert document_accepts(document, "post", "/v1/webhook-routing-rules", body) is accepted
        response = await client.post(
            "/v1/webhook-routing-rules", json=body, headers=auth(admin_key.secret)
        )
        assert (response.status_code == 201) is accepted, response.text


class TestCriterionPoints:
    RULESETS = "/v1/funds/{fund_code}/rulesets"

    def _ruleset(self, document: dict[str, Any], **changes: Any) -> dict[str, Any]:
        """The document's example ruleset, its first gate changed."""
        operation = document["paths"][self.RULESETS]["post"]
        ruleset = copy.deepcopy(operation["requestBody"]["content"]["application/json"]["example"])
        gate = next(c for c in ruleset["criteria"] if c["kind"] == "gate")
        gate.update(changes)
        return dict(ruleset)

    @pytest.mark.parametrize(
        ("changes", "accepted"),
        [
            ({"points": 147}, False),
            ({"kind": "score"}, False),
            ({"kind": "score", "points": 0}, False),
            ({"points": 0}, True),
            ({}, True),
        ],
    )
    def test_the_document_ties_the_points_to_the_kind(
        self, document: dict[str, Any], changes: dict[str, Any], accepted: bool
    ) -> None:
        ruleset = self._ruleset(document, **changes)
        assert document_accepts(document, "post", self.RULESETS, ruleset) is accepted

    async def test_a_gate_with_points_is_422(
        self, client: httpx.AsyncClient, admin_key: Key, document: dict[str, Any]
    ) -> None:
        ruleset = self._ruleset(document, points=147)
        path = self.RULESETS.format(fund_code=ruleset["fund_code"])
        response = await client.post(path, json=ruleset, headers=auth(admin_key.secret))
        assert "a gate awards no points" in assert_problem(response, 422)["errors"][0]["detail"]
