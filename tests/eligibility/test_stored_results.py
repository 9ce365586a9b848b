"""Assessments store criterion results compactly and read back what the live outcome says.

The stored form keeps status, points, value, inputs and missing inputs; the label, kind,
source, maximum, plain parameters and the French explanation come back from the ruleset
version when the assessment is read. What the API serves must be, field for field, what
`CriterionResult.as_json` gives for the outcome the engine computes now.
"""

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.eligibility import repository, service
from shared.eligibility.models import Assessment, RulesetVersion
from shared.eligibility.rules import EvaluationContext, Outcome, compile_ruleset
from shared.eligibility.rules.results import documents, stored_results
from shared.eligibility.rules.rulesets import SHIPPED_RULESETS
from tests.eligibility.contexts import (
    ACCELERATION,
    ECOLE,
    FONDS_VERT,
    FRICHES,
    SUBMITTED_AT,
    context,
)
from tests.eligibility.flows import submitted
from tests.fixtures.bodies import friche_application
from tests.fixtures.builders import Key

BASES = {
    "fonds-acceleration": ACCELERATION,
    "fonds-friches": FRICHES,
    "ecoles-de-production": ECOLE,
    "fonds-vert-ti": FONDS_VERT,
}
BLANKED = [
    "project.planned_start",
    "application.requested_amount_cents",
    "application.eligible_expense_base_cents",
    "holder.headcount",
    "holder.kind",
    "site.naf_code",
    "zonings",
    "application.attestations.not_started",
]


def round_trip(outcome: Outcome) -> list[dict[str, Any]]:
    """The outcome's criteria stored as JSON, read back as documents."""
    compiled = compile_ruleset(SHIPPED_RULESETS[outcome.fund_code, outcome.ruleset_version])
    stored = json.loads(json.dumps(stored_results(compiled, outcome)))
    return documents(compiled, stored)


def live(outcome: Outcome) -> list[dict[str, Any]]:
    return json.loads(json.dumps([result.as_json() for result in outcome.criteria]))


@pytest.mark.parametrize("key", sorted(SHIPPED_RULESETS), ids=lambda key: f"{key[0]}-v{key[1]}")
def test_every_shipped_ruleset_reads_back_its_documents(key: tuple[str, int]) -> None:
    ruleset = SHIPPED_RULESETS[key]
    outcome = compile_ruleset(ruleset).evaluate(context(BASES[key[0]]))

    assert round_trip(outcome) == live(outcome)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(SHIPPED_RULESETS)),
    st.sets(st.sampled_from(BLANKED)),
    st.integers(-400, 900),
    st.sampled_from(["11", "53", "94"]),
)
def test_documents_read_back_whatever_the_inputs(
    key: tuple[str, int], blanked: set[str], days: int, region: str
) -> None:
    changes: dict[str, Any] = dict.fromkeys(blanked)
    changes["site.region_code"] = region
    if "project.planned_start" not in blanked:
        changes["project.planned_start"] = SUBMITTED_AT.date() + timedelta(days=days)
    ctx: EvaluationContext = context(BASES[key[0]], changes)
    outcome = compile_ruleset(SHIPPED_RULESETS[key]).evaluate(ctx)

    assert round_trip(outcome) == live(outcome)


def test_the_stored_form_leaves_out_what_the_version_holds() -> None:
    ruleset = SHIPPED_RULESETS["fonds-acceleration", 1]
    outcome = compile_ruleset(ruleset).evaluate(context(ACCELERATION))
    stored = json.dumps(stored_results(compile_ruleset(ruleset), outcome))

    assert "explanation" not in stored
    assert not any(criterion.label_fr in stored for criterion in ruleset.criteria)
    assert len(stored) * 3 < len(json.dumps(live(outcome)))


def test_documents_stored_whole_are_read_as_they_are() -> None:
    ruleset = SHIPPED_RULESETS["fonds-friches", 1]
    outcome = compile_ruleset(ruleset).evaluate(context(FRICHES))

    assert documents(compile_ruleset(ruleset), live(outcome)) == live(outcome)


def test_stored_results_of_another_ruleset_are_refused() -> None:
    friches = SHIPPED_RULESETS["fonds-friches", 1]
    outcome = compile_ruleset(friches).evaluate(context(FRICHES))
    stored = json.loads(json.dumps(stored_results(compile_ruleset(friches), outcome)))

    with pytest.raises(ValueError, match="stored results"):
        documents(compile_ruleset(SHIPPED_RULESETS["fonds-acceleration", 1]), stored)


@pytest.mark.usefixtures("open_fund_windows")
@pytest.mark.parametrize("former_use", ["industrial", "agricultural"])
async def test_the_api_serves_what_the_engine_says_now(
    former_use: str,
    portal: Any,
    client: Any,
    territory_key: tuple[Any, Key],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    _, key = territory_key
    application = await submitted(portal(key.secret), **friche_application(former_use=former_use))
    app_id = uuid.UUID(application["id"])
    async with sessionmaker() as session:
        assessment = await service.score(session, app_id)
        await session.commit()
    assert isinstance(assessment, Assessment)

    served = await client.get(
        f"/v1/applications/{app_id}/assessments", headers={"Authorization": f"Bearer {key.secret}"}
    )

    assert served.status_code == 200, served.text
    async with sessionmaker() as session:
        row = await repository.lock_application(session, app_id)
        assert row is not None
        version = await session.get_one(RulesetVersion, assessment.ruleset_version_id)
        outcome = await service.evaluate_with(session, row, service.ruleset_of(version))
    (item,) = served.json()["items"]
    assert item["criteria"] == live(outcome)
    assert item["failed_gates"] == list(outcome.failed_gates)
    assert item["unknown_gates"] == list(outcome.unknown_gates)
