"""A fund's patterns run on applicants' text: RE2 (linear time), or the schema is refused."""

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.funds.questions import answer_errors, check_question_schema
from tests.fixtures.bodies import application_body
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.flows import Portal
from tests.fixtures.http import assert_problem, error_pointers

pytestmark = pytest.mark.usefixtures("open_fund_windows")

FUND = "fonds-acceleration"
REDOS = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}
WORST_ANSWER = "a" * 26 + "!"  # 4.75 s of backtracking in Python's `re`


def _questions(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"a": schema}}


@pytest.fixture
def admin(client: httpx.AsyncClient, admin_key: Key) -> Portal:
    return Portal(client, admin_key.secret)


@pytest.fixture
async def team(
    client: httpx.AsyncClient, make_territory: MakeTerritory, make_key: MakeKey
) -> Portal:
    territory = await make_territory("ti-pontivy")
    return Portal(client, (await make_key("territory", territory_id=territory.id)).secret)


async def _set_questions(admin: Portal, schema: dict[str, Any] | None) -> httpx.Response:
    fund = await admin.call("GET", f"/v1/funds/{FUND}", expect=200)
    return await admin.call(
        "PATCH",
        f"/v1/funds/{FUND}",
        json={"question_schema": schema},
        headers={"If-Match": fund.headers["etag"]},
    )


class TestCheckedWhenSet:
    @pytest.mark.parametrize(
        ("schema", "where"),
        [
            (_questions({"type": "string", "pattern": "^(a)\\1$"}), "/properties/a/pattern"),
            (_questions({"type": "string", "pattern": "^(?=a)a$"}), "/properties/a/pattern"),
            (
                {"type": "object", "$defs": {"x": {"propertyNames": {"pattern": "(?<!b)a"}}}},
                "/$defs/x/propertyNames/pattern",
            ),
            ({"type": "object", "patternProperties": {"^a": {}}}, "/patternProperties"),
            (_questions({"type": "object", "patternProperties": {}}), "/properties/a/"),
        ],
        ids=["back-reference", "look-ahead", "nested-look-behind", "pattern-properties", "nested"],
    )
    async def test_a_pattern_re2_cannot_run_is_refused_and_the_fund_is_unchanged(
        self, admin: Portal, schema: dict[str, Any], where: str
    ) -> None:
        before = (await admin.call("GET", f"/v1/funds/{FUND}", expect=200)).json()
        problem = assert_problem(await _set_questions(admin, schema), 422)
        assert error_pointers(problem) == {"/body/question_schema": "invalid-question-schema"}
        assert where in problem["errors"][0]["detail"]
        after = (await admin.call("GET", f"/v1/funds/{FUND}", expect=200)).json()
        assert (after["version"], after["question_schema"]) == (before["version"], None)

    def test_keywords_are_told_from_property_names_and_values(self) -> None:
        schema = {
            "type": "object",
            "properties": {"pattern": {"type": "string"}, "patternProperties": {}},
            "examples": [{"patternProperties": {"x": 1}, "pattern": "(a)\\1"}],
        }
        assert check_question_schema(schema) is None


class TestEvaluatedByRe2:
    def test_a_digit_is_an_ascii_digit_as_in_json_schema(self) -> None:
        # Python's `re` takes any Unicode digit for \d; RE2 (like ECMA 262) only 0-9.
        schema = _questions({"type": "string", "pattern": "^\\d+$"})
        assert answer_errors(schema, {"a": "123"}, partial=False) == []
        assert [p for p, _ in answer_errors(schema, {"a": "١٢٣"}, partial=False)] == ["/answers/a"]

    def test_a_stored_schema_with_pattern_properties_is_not_evaluated(self) -> None:
        legacy = {
            "type": "object",
            "patternProperties": {"^(a+)+$": {}},
            "additionalProperties": False,
        }
        [(pointer, detail)] = answer_errors(legacy, {WORST_ANSWER: 1}, partial=True)
        assert pointer == "/answers"
        assert "patternProperties" in detail

    async def test_a_stored_schema_re2_cannot_compile_is_a_422_not_a_500(
        self, team: Portal, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessionmaker() as session:  # stored before patterns were checked
            await session.execute(
                text("UPDATE funds SET question_schema = CAST(:s AS jsonb) WHERE code = :code"),
                {
                    "s": json.dumps(_questions({"type": "string", "pattern": "(a)\\1"})),
                    "code": FUND,
                },
            )
            await session.commit()
        project = await team.active_project()
        response = await team.call(
            "POST", "/v1/applications", json=application_body(project["id"], answers={"a": "aa"})
        )
        assert "/body/answers/a" in error_pointers(assert_problem(response, 422))


async def test_the_worst_input_leaves_the_event_loop_free(admin: Portal, team: Portal) -> None:
    """While the worst answer to `^(a+)+$` is validated, /healthz answers within 50 ms."""
    assert (await _set_questions(admin, REDOS)).status_code == 200
    project = await team.active_project()
    body = application_body(project["id"], answers={"a": WORST_ANSWER})
    # First calls warm up (lazy set-up on both routes), then the probes are timed.
    await team.call("POST", "/v1/applications", json=body, expect=422)
    assert (await team.client.get("/healthz")).status_code == 200
    submitted = asyncio.ensure_future(team.call("POST", "/v1/applications", json=body))
    latencies: list[float] = []
    while not submitted.done() or not latencies:
        started = time.perf_counter()
        await asyncio.sleep(0)  # a probe arriving now waits for whatever holds the loop
        health = await team.client.get("/healthz")
        latencies.append(time.perf_counter() - started)
        assert health.status_code == 200
    problem = assert_problem(await submitted, 422)
    assert error_pointers(problem) == {"/body/answers/a": "unprocessable"}
    assert max(latencies) < 0.05, latencies
    matching = application_body(project["id"], answers={"a": "a" * 100_000})
    assert (await team.call("POST", "/v1/applications", json=matching)).status_code == 201
