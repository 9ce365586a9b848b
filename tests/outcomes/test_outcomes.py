"""Outcome reports: after the agreement only, dated between the agreement and today, kept as
a history whose latest counts, audited and announced (`outcome.reported`), idempotent."""

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.audit.models import AuditEntry
from shared.events.models import Event
from shared.outcomes.models import Outcome
from tests.fixtures.flows import nothing_written, update_row
from tests.fixtures.http import assert_problem
from tests.outcomes.conftest import SIGNED_ON, TODAY, Keys, approved, signed


def report(days_ago: int, jobs: int = 10, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reported_on": (TODAY - timedelta(days=days_ago)).isoformat(),
        "jobs_created": jobs,
        "jobs_maintained": 170,
        "investment_cents": 600_000_000,
    }
    return body | overrides


def outcomes_of(application: dict[str, Any]) -> str:
    return f"/v1/applications/{application['id']}/outcomes"


class TestWhenOutcomesAreReported:
    async def test_before_the_agreement_is_409_and_writes_nothing(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        application = await approved(keys, sessionmaker)
        async with nothing_written(sessionmaker):
            response = await keys["territory"].call(
                "POST", outcomes_of(application), json=report(1)
            )
        problem = assert_problem(response, 409)
        assert problem["type"].endswith("/outcomes-not-open")
        assert problem["application_status"] == "approved"

    async def test_after_the_agreement_while_funded_and_closed_201(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        application = await signed(keys, sessionmaker)
        for status in ("agreement_signed", "funded", "closed"):
            await update_row(sessionmaker, "applications", application["id"], status=status)
            await keys["territory"].call(
                "POST", outcomes_of(application), json=report(5), expect=201
            )
        await update_row(sessionmaker, "applications", application["id"], status="cancelled")
        refused = await keys["territory"].call("POST", outcomes_of(application), json=report(5))
        assert_problem(refused, 409)

    async def test_a_report_is_stored_audited_and_announced(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        application = await signed(keys, sessionmaker)
        body = report(3, comment="Ligne en service")
        response = await keys["territory"].call(
            "POST", outcomes_of(application), json=body, expect=201
        )
        created = response.json()
        assert response.headers["location"] == f"/v1/outcomes/{created['id']}"
        assert response.headers["etag"] == '"1"'
        assert {k: created[k] for k in body} == body
        assert created["reported_by_role"] == "territory"
        read = await keys["territory"].call("GET", response.headers["location"], expect=200)
        assert read.json() == created
        async with sessionmaker() as session:
            entry = await session.scalar(
                select(AuditEntry).where(AuditEntry.action == "application.outcome_reported")
            )
            event = await session.scalar(select(Event).where(Event.type == "outcome.reported"))
        assert entry is not None
        assert entry.subject_id == application["id"]
        assert entry.changes["jobs_created"] == 10
        assert entry.reason == "Ligne en service"
        assert event is not None
        assert event.data is not None
        assert event.data["id"] == created["id"]
        assert event.data["application_id"] == application["id"]
        assert event.data["fund_code"] == "fonds-friches"
        assert "comment" not in event.data  # free text stays out of payloads


class TestHistory:
    async def test_the_latest_counts_and_every_report_is_kept(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        application = await signed(keys, sessionmaker)
        team = keys["territory"]
        for days_ago, jobs in ((30, 5), (10, 12), (20, 8), (10, 14)):  # a backfill, a fix
            await team.call(
                "POST", outcomes_of(application), json=report(days_ago, jobs), expect=201
            )
        history = (await team.call("GET", outcomes_of(application), expect=200)).json()
        assert history["planned"] == {
            "jobs_created": 35,
            "jobs_maintained": 180,
            "investment_cents": 1_250_000_000,
        }
        assert [i["jobs_created"] for i in history["items"]] == [14, 12, 8, 5]
        assert history["latest"] == history["items"][0]
        first = await team.call("GET", outcomes_of(application), params={"limit": 3}, expect=200)
        assert [i["jobs_created"] for i in first.json()["items"]] == [14, 12, 8]
        rest = await team.call(
            "GET",
            outcomes_of(application),
            params={"limit": 3, "cursor": first.json()["next_cursor"]},
            expect=200,
        )
        assert [i["jobs_created"] for i in rest.json()["items"]] == [5]
        assert rest.json()["latest"]["jobs_created"] == 14

    async def test_no_report_yet(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        application = await signed(keys, sessionmaker)
        history = (await keys["admin"].call("GET", outcomes_of(application), expect=200)).json()
        assert (history["latest"], history["items"], history["next_cursor"]) == (None, [], None)


class TestInvalidReports:
    async def test_bad_dates_and_figures_are_422_pointing_at_the_field(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        application = await signed(keys, sessionmaker)
        before_agreement = (SIGNED_ON - timedelta(days=1)).isoformat()
        cases = [
            (report(-1), "/body/reported_on", "date-out-of-range"),  # tomorrow
            (report(0, reported_on=before_agreement), "/body/reported_on", "date-out-of-range"),
            (report(0, reported_on="2026/01/01"), "/body/reported_on", None),
            (report(0, reported_on=20260101), "/body/reported_on", None),
            (report(0, jobs=-1), "/body/jobs_created", None),
            (report(0, investment_cents="12"), "/body/investment_cents", None),
            (report(0, surplus=1), "/body/surplus", None),
        ]
        for body, pointer, slug in cases:
            async with nothing_written(sessionmaker):
                response = await keys["territory"].call("POST", outcomes_of(application), json=body)
            problem = assert_problem(response, 422)
            assert [e["pointer"] for e in problem["errors"]] == [pointer], body
            if slug:
                assert problem["type"].endswith(slug)

    async def test_today_and_the_agreement_day_are_accepted(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        application = await signed(keys, sessionmaker)
        for day in (TODAY, SIGNED_ON):
            body = report(0, reported_on=day.isoformat())
            await keys["territory"].call("POST", outcomes_of(application), json=body, expect=201)


class TestRetries:
    async def test_the_same_idempotency_key_replays_the_first_report(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        application = await signed(keys, sessionmaker)
        headers = {"Idempotency-Key": "outcome-2026-q2"}
        first = await keys["territory"].call(
            "POST", outcomes_of(application), json=report(2), headers=headers, expect=201
        )
        again = await keys["territory"].call(
            "POST", outcomes_of(application), json=report(2), headers=headers, expect=201
        )
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["location"] == first.headers["location"]
        async with sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Outcome)) == 1
