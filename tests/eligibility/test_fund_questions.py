"""The seeded funds' question schemas cover the `answers` their shipped rulesets read."""

from typing import Any

import pytest
from sqlalchemy import null, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.eligibility.rules import Ruleset
from shared.eligibility.rules.expressions import FieldRef
from shared.eligibility.rules.rulesets import SHIPPED_RULESETS, shipped_ruleset
from shared.funds.models import Fund
from shared.funds.questions import answer_errors, check_question_schema
from shared.seeding import programme
from shared.seeding.service import seed_programme
from tests.eligibility.contexts import ECOLE, FONDS_VERT, FRICHES

SCHEMAS: dict[str, Any] = {fund["code"]: fund["question_schema"] for fund in programme.FUNDS}
ANSWERS = {
    "fonds-friches": FRICHES["answers"],
    "ecoles-de-production": ECOLE["answers"],
    "fonds-vert-ti": FONDS_VERT["answers"],
}
"""Answers of the expected types, as the realistic contexts give them."""


def answer_keys(ruleset: Ruleset) -> set[str]:
    """The `answers.<key>` a ruleset reads, in its expressions and `when` clauses."""
    keys = set()
    for criterion in ruleset.criteria:
        for root in (criterion.expr, criterion.when):
            for node in root.walk() if root is not None else ():
                if isinstance(node, FieldRef) and node.path.startswith("answers."):
                    keys.add(node.path.split(".")[1])
    return keys


@pytest.mark.parametrize("key", sorted(SHIPPED_RULESETS))
def test_every_answer_a_ruleset_reads_is_a_question_of_its_fund(key: tuple[str, int]) -> None:
    fund_code, _ = key
    read = answer_keys(SHIPPED_RULESETS[key])
    schema = SCHEMAS[fund_code]
    if not read:
        assert schema is None  # the fund asks nothing of its own
        return
    assert check_question_schema(schema) is None
    assert read == set(schema["properties"])
    assert read == set(schema["required"])
    answers = ANSWERS[fund_code]
    for name in read:
        assert answer_errors(schema, {name: answers[name]}, partial=True) == [], name
    assert answer_errors(schema, answers, partial=False) == []


def test_the_funds_ask_the_answers_their_rules_read() -> None:
    asked = {code: set(schema["properties"]) for code, schema in SCHEMAS.items() if schema}
    assert asked == {
        "fonds-friches": {
            "friche_vacant_or_degraded",
            "former_use",
            "economic_deficit_cents",
            "end_use",
            "area_ha",
        },
        "ecoles-de-production": {
            "support_type",
            "declared_to_rectorat",
            "qualifications",
            "produces_for_customers",
            "planned_students",
            "partner_companies",
        },
        "fonds-vert-ti": {"volet"},
    }


def test_every_question_has_a_french_title() -> None:
    for schema in filter(None, SCHEMAS.values()):
        assert schema["title"]
        for question in schema["properties"].values():
            assert question["title"]


@pytest.mark.parametrize(
    ("fund_code", "name", "param"),
    [
        ("fonds-friches", "former_use", "excluded_former_uses"),
        ("fonds-friches", "end_use", "eligible_end_uses"),
        ("ecoles-de-production", "support_type", "support_types"),
    ],
)
def test_the_choices_include_every_value_the_rules_name(
    fund_code: str, name: str, param: str
) -> None:
    named = shipped_ruleset(fund_code).params[param]
    assert isinstance(named, tuple)
    assert set(named) <= set(SCHEMAS[fund_code]["properties"][name]["enum"])


def test_the_volets_are_one_two_and_three() -> None:
    assert SCHEMAS["fonds-vert-ti"]["properties"]["volet"]["enum"] == [1, 2, 3]


@pytest.mark.parametrize(
    ("fund_code", "answers", "pointer"),
    [
        ("fonds-vert-ti", {"volet": "1"}, "/answers/volet"),
        ("fonds-vert-ti", {"volet": 4}, "/answers/volet"),
        ("fonds-friches", {"former_use": "parking"}, "/answers/former_use"),
        ("fonds-friches", {"economic_deficit_cents": -1}, "/answers/economic_deficit_cents"),
        (
            "fonds-friches",
            {"friche_vacant_or_degraded": "oui"},
            "/answers/friche_vacant_or_degraded",
        ),
        ("ecoles-de-production", {"support_type": "loan"}, "/answers/support_type"),
        ("ecoles-de-production", {"qualifications": "CAP"}, "/answers/qualifications"),
        ("ecoles-de-production", {"planned_students": 3.5}, "/answers/planned_students"),
        ("fonds-vert-ti", {"volet": 1, "sector": "x"}, "/answers"),
    ],
)
def test_answers_of_the_wrong_type_or_value_are_refused(
    fund_code: str, answers: dict[str, Any], pointer: str
) -> None:
    problems = answer_errors(SCHEMAS[fund_code], answers, partial=True)
    assert pointer in {where for where, _ in problems}


def test_a_missing_answer_is_allowed_in_a_draft_only() -> None:
    schema = SCHEMAS["fonds-vert-ti"]
    assert answer_errors(schema, {}, partial=True) == []
    assert [where for where, _ in answer_errors(schema, {}, partial=False)] == ["/answers"]


class TestSeed:
    @pytest.mark.parametrize("unset", [None, null()], ids=["json-null", "sql-null"])
    async def test_a_fund_without_questions_gets_the_shipped_ones_once(
        self, session: AsyncSession, unset: Any
    ) -> None:
        await session.execute(
            update(Fund).where(Fund.code == "fonds-vert-ti").values(question_schema=unset)
        )
        await session.commit()
        before = await _questions(session, "fonds-vert-ti")

        await seed_programme(session)
        await session.commit()
        seeded = await _questions(session, "fonds-vert-ti")
        await seed_programme(session)
        await session.commit()

        assert before[0] is None
        assert seeded == (SCHEMAS["fonds-vert-ti"], before[1] + 1)
        assert await _questions(session, "fonds-vert-ti") == seeded

    async def test_a_schema_an_admin_set_is_kept(self, session: AsyncSession) -> None:
        own = {"type": "object", "properties": {"volet": {"type": "integer"}}}
        await session.execute(
            update(Fund).where(Fund.code == "fonds-vert-ti").values(question_schema=own)
        )
        await session.commit()

        await seed_programme(session)
        await session.commit()

        assert (await _questions(session, "fonds-vert-ti"))[0] == own
        assert (await _questions(session, "fonds-acceleration"))[0] is None


async def _questions(session: AsyncSession, code: str) -> tuple[Any, int]:
    """The fund's question schema and version, as stored now."""
    row = (
        await session.execute(select(Fund.question_schema, Fund.version).where(Fund.code == code))
    ).one()
    return row.question_schema, row.version
