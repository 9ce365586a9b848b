"""Budgets: approvals commit on the fund's envelope and payments draw on the commitment,
never past either whatever the concurrency; the budget view adds them up."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.applications.models import Application
from shared.budgets import repository
from tests.decisions.conftest import APPROVAL, TODAY, Keys
from tests.fixtures.bodies import application_body, friche_application
from tests.fixtures.flows import fetch, update_row
from tests.fixtures.http import assert_problem

AWARD = APPROVAL["amount_cents"]

# The columns an INSERT writes (the database computes the others).
_STORED = [c.name for c in Application.__table__.columns if c.computed is None]
# Clone one project and its application `n` times (new ids), as many applicants would.
CLONE = text(
    f"""
    WITH src AS (
        SELECT p, a FROM projects p JOIN applications a ON a.project_id = p.id
        WHERE a.id = :application
    ), new AS (
        SELECT gen_random_uuid() AS pid, gen_random_uuid() AS aid FROM generate_series(1, :n)
    ), projects_made AS (
        INSERT INTO projects
        SELECT (jsonb_populate_record(NULL::projects,
                to_jsonb(src.p) || jsonb_build_object('id', new.pid))).*
        FROM src, new RETURNING id
    )
    INSERT INTO applications ({", ".join(_STORED)})
    SELECT {", ".join(f"r.{name}" for name in _STORED)}
    FROM src, new, jsonb_populate_record(NULL::applications,
        to_jsonb(src.a) || jsonb_build_object('id', new.aid, 'project_id', new.pid)) AS r
    RETURNING id
    """  # noqa: S608 - column names of the model
)


async def _under_review(keys: Keys, sessionmaker: Any, count: int) -> list[str]:
    """`count` applications to the fonds friches under review, with their ids."""
    team = keys["territory"]
    draft = await team.draft_application(await team.active_project(), **friche_application())
    await team.act(draft, "applications", "submit")  # its project's figures are frozen
    await update_row(sessionmaker, "applications", draft["id"], status="under_review")
    async with sessionmaker() as session:
        ids = (await session.execute(CLONE, {"application": draft["id"], "n": count - 1})).all()
        await session.commit()
    return [draft["id"], *(str(row.id) for row in ids)]


async def _signed(keys: Keys, sessionmaker: Any) -> dict[str, Any]:
    """An application approved for `APPROVAL` whose agreement is signed."""
    [application_id] = await _under_review(keys, sessionmaker, 1)
    operator = keys["operator"]
    current = await fetch(operator, "applications", application_id)
    approved = await operator.act(current, "applications", "approve", json=APPROVAL)
    agreement = {"signed_on": TODAY.isoformat(), "reference": "C-1"}
    return await operator.act(approved, "applications", "sign_agreement", json=agreement)


async def _scalar(sessionmaker: Any, sql: str) -> Any:
    async with sessionmaker() as session:
        return await session.scalar(text(sql))


_FRICHES_STATE = (
    "FROM budget_envelopes e JOIN funds f ON f.id = e.fund_id "
    "WHERE f.code = 'fonds-friches' AND e.financer = 'state'"
)


async def test_two_hundred_concurrent_approvals_commit_exactly_what_the_envelope_holds(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    ids = await _under_review(keys, sessionmaker, 200)
    async with sessionmaker() as session:
        await session.execute(
            text(
                "UPDATE budget_envelopes SET amount_cents = :amount WHERE id = "  # noqa: S608
                f"(SELECT e.id {_FRICHES_STATE})"
            ),
            {"amount": 20 * AWARD},
        )
        await session.commit()
    operator = keys["operator"]

    async def approve(application_id: str) -> int:
        response = await operator.call(
            "POST",
            f"/v1/applications/{application_id}/approve",
            json=APPROVAL,
            headers={"If-Match": "*"},
        )
        if response.status_code != 200:
            problem = assert_problem(response, 409)
            assert problem["type"].endswith("/envelope-exhausted"), problem
        return response.status_code

    statuses = await asyncio.gather(*(approve(i) for i in ids))
    assert statuses.count(200) == 20
    assert statuses.count(409) == 180
    assert await _scalar(sessionmaker, f"SELECT e.committed_cents {_FRICHES_STATE}") == 20 * AWARD
    assert await _scalar(
        sessionmaker, f"SELECT bool_and(e.committed_cents <= e.amount_cents) {_FRICHES_STATE}"
    )
    commitments = "SELECT count(*), sum(amount_cents) FROM budget_commitments"
    async with sessionmaker() as session:
        count, total = (await session.execute(text(commitments))).one()
    assert (count, total) == (20, 20 * AWARD)
    approved = "SELECT count(*) FROM applications WHERE status = 'approved'"
    assert await _scalar(sessionmaker, approved) == 20
    # The refused ones are untouched: under review, never audited as approved.
    assert (
        await _scalar(
            sessionmaker, "SELECT count(*) FROM applications WHERE status = 'under_review'"
        )
        == 180
    )
    assert (
        await _scalar(
            sessionmaker, "SELECT count(*) FROM audit_entries WHERE action = 'application.approve'"
        )
        == 20
    )


async def test_concurrent_payments_never_pay_more_than_committed(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    signed = await _signed(keys, sessionmaker)
    application_id, operator = signed["id"], keys["operator"]
    assert signed["status"] == "agreement_signed"
    tranche = {"amount_cents": 30_000_000, "paid_on": TODAY.isoformat()}

    async def pay() -> int:
        response = await operator.call(
            "POST",
            f"/v1/applications/{application_id}/record_payment",
            json=tranche,
            headers={"If-Match": "*"},
        )
        if response.status_code != 200:
            problem = assert_problem(response, response.status_code)
            assert response.status_code in (409, 412), problem
        return response.status_code

    # Rounds of 20 at once (one version wins each round) until nothing more can be paid.
    outcomes: list[int] = []
    while True:
        round_ = await asyncio.gather(*(pay() for _ in range(20)))
        outcomes += round_
        if 200 not in round_:
            break
    assert outcomes.count(200) == 3  # the 90 committed; a fourth would pass it
    paid = "SELECT paid_cents FROM budget_commitments"
    assert await _scalar(sessionmaker, paid) == 90_000_000
    assert await _scalar(sessionmaker, f"SELECT e.paid_cents {_FRICHES_STATE}") == 90_000_000
    last = await fetch(operator, "applications", application_id)
    assert last["status"] == "funded"
    payments = await operator.call("GET", f"/v1/applications/{application_id}/payments", expect=200)
    assert [p["amount_cents"] for p in payments.json()["items"]] == [30_000_000] * 3


async def test_the_commitment_holds_whatever_the_concurrency_of_its_payers(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Below the API's version check: twenty sessions paying at once on one commitment."""
    [application_id] = await _under_review(keys, sessionmaker, 1)
    operator = keys["operator"]
    await operator.act(
        await fetch(operator, "applications", application_id),
        "applications",
        "approve",
        json=APPROVAL,
    )
    async with sessionmaker() as session:
        commitment = await repository.active_commitment(session, uuid.UUID(application_id))
    assert commitment is not None

    async def pay() -> bool:
        async with sessionmaker() as session:
            payment = await repository.pay(
                session,
                commitment,
                amount_cents=10_000_000,
                paid_on=TODAY - timedelta(days=1),
                reference="",
                key_id=None,
            )
            await session.commit()
            return payment is not None

    results = await asyncio.gather(*(pay() for _ in range(20)))
    assert results.count(True) == AWARD // 10_000_000
    assert await _scalar(sessionmaker, "SELECT paid_cents FROM budget_commitments") == AWARD
    assert (
        await _scalar(sessionmaker, "SELECT count(*) FROM budget_payments") == AWARD // 10_000_000
    )


async def test_the_budget_adds_up_envelopes_commitments_and_payments(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    signed = await _signed(keys, sessionmaker)
    operator = keys["operator"]
    await operator.act(
        signed,
        "applications",
        "record_payment",
        json={"amount_cents": 25_000_000, "paid_on": TODAY.isoformat()},
    )
    budget = (await operator.call("GET", "/v1/funds/fonds-friches/budget", expect=200)).json()
    [envelope] = budget["envelopes"]
    assert envelope["financer"] == "state"
    assert envelope["amount_cents"] == 750 * 100_000_000
    assert (envelope["committed_cents"], envelope["paid_cents"]) == (AWARD, 25_000_000)
    assert envelope["remaining_cents"] == 750 * 100_000_000 - AWARD
    assert budget["financers"] == [
        {
            "financer": "state",
            "amount_cents": 750 * 100_000_000,
            "committed_cents": AWARD,
            "paid_cents": 25_000_000,
            "remaining_cents": 750 * 100_000_000 - AWARD,
            "share": 1.0,
        }
    ]
    # Another operator's fund is none of its business; the acceleration fund shows its
    # co-financing: the Regions' 143 M€ of 850 M€.
    assert_problem(await operator.call("GET", "/v1/funds/fonds-acceleration/budget"), 404)
    acceleration = await keys["admin"].call(
        "GET", "/v1/funds/fonds-acceleration/budget", expect=200
    )
    shares = {f["financer"]: f["share"] for f in acceleration.json()["financers"]}
    assert shares == {"region": round(143 / 850, 4), "state": round(707 / 850, 4)}


async def test_approval_needs_an_envelope_and_a_financer_when_several_could_pay(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    team = keys["territory"]
    draft = await team.draft_application(await team.active_project())  # the acceleration fund
    await team.act(draft, "applications", "submit")
    await update_row(sessionmaker, "applications", draft["id"], status="under_review")
    bpifrance = keys["bpifrance"]
    current = await fetch(bpifrance, "applications", draft["id"])
    url = f"/v1/applications/{draft['id']}/approve"
    headers = {"If-Match": f'"{current["version"]}"'}
    problem = assert_problem(await bpifrance.call("POST", url, json=APPROVAL, headers=headers), 422)
    assert problem["type"].endswith("/no-envelope")
    assert sorted(problem["financers"]) == ["region", "state"]
    assert await _scalar(sessionmaker, "SELECT count(*) FROM budget_commitments") == 0
    moved = await bpifrance.call(
        "POST", url, json={**APPROVAL, "financer": "region"}, headers=headers, expect=200
    )
    assert moved.json()["decision"]["financer"] == "region"
    region_committed = (
        "SELECT e.committed_cents FROM budget_envelopes e JOIN funds f ON f.id = e.fund_id "
        "WHERE f.code = 'fonds-acceleration' AND e.financer = 'region'"
    )
    assert await _scalar(sessionmaker, region_committed) == AWARD


async def test_a_cancelled_award_gives_back_what_is_unpaid_and_frees_the_project(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    signed = await _signed(keys, sessionmaker)
    operator = keys["operator"]
    tranche = {"amount_cents": 30_000_000, "paid_on": TODAY.isoformat()}
    funded = await operator.act(signed, "applications", "record_payment", json=tranche)
    cancelled = await operator.act(
        funded,
        "applications",
        "cancel",
        json={"reason_code": "other", "reason_text": "Projet abandonné"},
    )
    assert (cancelled["status"], cancelled["allowed_actions"]) == ("cancelled", [])
    assert cancelled["decision"]["kind"] == "cancelled"
    # The envelope keeps only what was paid; the register, the aid actually granted.
    committed = f"SELECT e.committed_cents {_FRICHES_STATE}"
    assert await _scalar(sessionmaker, committed) == 30_000_000
    assert await _scalar(sessionmaker, f"SELECT e.paid_cents {_FRICHES_STATE}") == 30_000_000
    assert await _scalar(sessionmaker, "SELECT status::text FROM budget_commitments") == (
        "released"
    )
    async with sessionmaker() as session:
        grant = (
            await session.execute(
                text("SELECT nominal_cents, gross_grant_equivalent_cents FROM aid_register")
            )
        ).one()
    assert tuple(grant) == (30_000_000, 30_000_000)
    async with sessionmaker() as session:
        event = await session.scalar(
            text("SELECT data FROM events WHERE type = 'application.cancelled'")
        )
    assert (event["released_cents"], event["paid_cents"]) == (60_000_000, 30_000_000)
    # The project may apply to the fund again.
    team = keys["territory"]
    project = (await fetch(team, "applications", cancelled["id"]))["project_id"]
    await team.call(
        "POST",
        "/v1/applications",
        json=application_body(project, **friche_application()),
        expect=201,
    )


async def test_an_award_cancelled_before_any_payment_leaves_no_trace_in_the_register(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    [application_id] = await _under_review(keys, sessionmaker, 1)
    operator = keys["operator"]
    approved = await operator.act(
        await fetch(operator, "applications", application_id),
        "applications",
        "approve",
        json=APPROVAL,
    )
    await operator.act(
        approved,
        "applications",
        "cancel",
        json={"reason_code": "state_aid_ceiling", "reason_text": "Cumul constaté"},
    )
    assert await _scalar(sessionmaker, f"SELECT e.committed_cents {_FRICHES_STATE}") == 0
    assert await _scalar(sessionmaker, "SELECT count(*) FROM aid_register") == 0
