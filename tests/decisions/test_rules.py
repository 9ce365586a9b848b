"""What each decision accepts: bodies checked with a pointer at the field, dates that
cannot be, awards the fund does not offer, information requests and their due dates."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.audit.models import AuditEntry
from shared.decisions import service as decisions
from shared.events.models import Event
from tests.decisions.conftest import APPROVAL, INFORMATION, TODAY, Keys
from tests.fixtures.bodies import friche_application
from tests.fixtures.flows import fetch, nothing_written, update_row
from tests.fixtures.http import assert_problem, error_pointers

TOMORROW = (TODAY + timedelta(days=1)).isoformat()


async def _at(keys: Keys, sessionmaker: Any, status: str) -> dict[str, Any]:
    """An application to the fonds friches in `status`, as its operator sees it."""
    team = keys["territory"]
    draft = await team.draft_application(await team.active_project(), **friche_application())
    await team.act(draft, "applications", "submit")  # its project's figures are frozen
    await update_row(sessionmaker, "applications", draft["id"], status=status)
    return await fetch(keys["operator"], "applications", draft["id"])


@pytest.mark.parametrize(
    ("status", "action", "body", "pointer"),
    [
        ("under_review", "approve", {**APPROVAL, "aid_form": "loan"}, "/body/aid_form"),
        ("under_review", "approve", {**APPROVAL, "amount_cents": 0}, "/body/amount_cents"),
        (
            "under_review",
            "approve",
            {**APPROVAL, "aid_form": "repayable_advance"},
            "/body/aid_form",  # the fonds friches offers subsidies only
        ),
        (
            "under_review",
            "approve",
            {**APPROVAL, "gross_grant_equivalent_cents": 1},
            "/body/gross_grant_equivalent_cents",
        ),
        ("under_review", "approve", {**APPROVAL, "regime": "gift"}, "/body/regime"),
        (
            "under_review",
            "reject",
            {"reason_code": "whim", "reason_text": "x"},
            "/body/reason_code",
        ),
        ("under_review", "reject", {"reason_code": "other"}, "/body/reason_text"),
        ("under_review", "start_review", {}, "/body/assignee"),
        ("under_review", "request_information", {**INFORMATION, "items": []}, "/body/items"),
        (
            "under_review",
            "request_information",
            {**INFORMATION, "items": ["/status"]},
            "/body/items/0",
        ),
        (
            "under_review",
            "request_information",
            {**INFORMATION, "due_on": TODAY.isoformat()},
            "/body/due_on",
        ),
        (
            "approved",
            "sign_agreement",
            {"signed_on": TOMORROW, "reference": "C-1"},
            "/body/signed_on",
        ),
    ],
    ids=[
        "aid-form-unknown",
        "amount-zero",
        "aid-form-not-offered",
        "subsidy-equivalent-not-its-amount",
        "regime-unknown",
        "reason-code-unknown",
        "reason-text-missing",
        "assignee-missing",
        "nothing-requested",
        "request-names-a-field-not-answerable",
        "due-today",
        "agreement-signed-tomorrow",
    ],
)
async def test_a_wrong_body_is_422_at_the_field_and_writes_nothing(
    keys: Keys,
    sessionmaker: async_sessionmaker[AsyncSession],
    status: str,
    action: str,
    body: dict[str, Any],
    pointer: str,
) -> None:
    application = await _at(keys, sessionmaker, status)
    async with nothing_written(sessionmaker):
        response = await keys["operator"].call(
            "POST",
            f"/v1/applications/{application['id']}/{action}",
            json=body,
            headers={"If-Match": f'"{application["version"]}"'},
        )
        problem = assert_problem(response, 422)
    assert pointer in error_pointers(problem), problem


async def test_a_payment_past_the_commitment_is_409_and_nothing_is_paid(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = keys["operator"]
    application = await _at(keys, sessionmaker, "under_review")
    approved = await operator.act(application, "applications", "approve", json=APPROVAL)
    signed = await operator.act(
        approved,
        "applications",
        "sign_agreement",
        json={"signed_on": TODAY.isoformat(), "reference": "C-1"},
    )
    url = f"/v1/applications/{signed['id']}/record_payment"
    headers = {"If-Match": f'"{signed["version"]}"'}
    async with nothing_written(sessionmaker):
        too_much = {"amount_cents": APPROVAL["amount_cents"] + 1, "paid_on": TODAY.isoformat()}
        problem = assert_problem(
            await operator.call("POST", url, json=too_much, headers=headers), 409
        )
        assert problem["type"].endswith("/payment-exceeds-commitment")
        assert problem["unpaid_cents"] == APPROVAL["amount_cents"]
        future = {"amount_cents": 1, "paid_on": TOMORROW}
        problem = assert_problem(
            await operator.call("POST", url, json=future, headers=headers), 422
        )
        assert "/body/paid_on" in error_pointers(problem)


async def test_a_stale_version_is_412_before_any_envelope_is_touched(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    application = await _at(keys, sessionmaker, "under_review")
    async with nothing_written(sessionmaker):
        response = await keys["operator"].call(
            "POST",
            f"/v1/applications/{application['id']}/approve",
            json=APPROVAL,
            headers={"If-Match": f'"{application["version"] - 1}"'},
        )
        assert_problem(response, 412)


async def test_an_unanswered_request_past_its_due_date_is_overdue(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    operator = keys["operator"]
    application = await _at(keys, sessionmaker, "under_review")
    requested = await operator.act(
        application, "applications", "request_information", json=INFORMATION
    )
    assert requested["information_overdue"] is False
    async with sessionmaker() as session:
        await session.execute(
            text("UPDATE applications SET information_due_on = :day WHERE id = :id"),
            {"day": TODAY - timedelta(days=1), "id": requested["id"]},
        )
        await session.commit()
    late = await fetch(keys["territory"], "applications", requested["id"])
    assert late["information_overdue"] is True
    for value, expected in (("true", [late["id"]]), ("false", [])):
        listed = await operator.call(
            "GET", f"/v1/applications?information_overdue={value}", expect=200
        )
        assert [a["id"] for a in listed.json()["items"]] == expected
    # The worker's cron announces it once.
    for expected in (1, 0):
        async with sessionmaker() as session:
            assert await decisions.announce_overdue(session, today=TODAY) == expected
            await session.commit()
    async with sessionmaker() as session:
        event = await session.scalar(
            select(Event).where(Event.type == "application.information_overdue")
        )
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "application.information_overdue")
        )
    assert event is not None
    assert event.data["id"] == late["id"]
    assert event.data["information_due_on"] == (TODAY - timedelta(days=1)).isoformat()
    assert entry is not None
    assert (entry.actor_role, entry.actor_key_id) == ("system", None)
    late = await fetch(keys["territory"], "applications", late["id"])
    # Answering clears it: the application is back under review.
    answered = await keys["territory"].act(late, "applications", "answer")
    assert (answered["status"], answered["information_overdue"]) == ("under_review", False)


async def test_the_reason_codes_are_published(keys: Keys) -> None:
    reasons = (await keys["territory"].call("GET", "/v1/decision-reasons", expect=200)).json()
    codes = [reason["code"] for reason in reasons["items"]]
    assert codes == [
        "ineligible_on_review",
        "incomplete_after_deadline",
        "insufficient_maturity",
        "envelope_exhausted",
        "state_aid_ceiling",
        "other",
    ]
    assert all(reason["label"] for reason in reasons["items"])


@pytest.mark.parametrize(
    ("action", "who"),
    [
        ("reject", "operator"),
        ("approve", "operator"),
        ("not_retained", "region"),
        ("withdraw", "territory"),
    ],
)
async def test_a_wrong_body_is_422_before_the_application_is_read(
    keys: Keys, action: str, who: str
) -> None:
    """The body is judged first: an unknown application with a stale version still answers
    the body's 422, not the 404 or 412 that reading it would give."""
    response = await keys[who].call(
        "POST",
        f"/v1/applications/{uuid.uuid4()}/{action}",
        json={"reason_code": 7},
        headers={"If-Match": '"99"'},
    )
    problem = assert_problem(response, 422)
    assert error_pointers(problem), problem
