"""Scoring a submitted application: assessment, status, audit and event in one transaction."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.applications.models import Application
from shared.audit.models import AuditEntry
from shared.eligibility import service
from shared.eligibility.models import Assessment, RulesetVersion
from shared.eligibility.rules import compile_ruleset
from shared.eligibility.rules.results import documents
from shared.eligibility.rules.rulesets import SHIPPED_RULESETS
from shared.events.models import Event
from shared.funds.models import Fund
from tests.eligibility.flows import ACCELERATION_PROGRAMME_GAPS, documented_project, submitted
from tests.eligibility.ruleset_flows import SHIPPED
from tests.fixtures.bodies import friche_application
from tests.fixtures.builders import Key

pytestmark = pytest.mark.usefixtures("open_fund_windows")


async def score(sessionmaker: async_sessionmaker[AsyncSession], app_id: Any) -> Assessment | None:
    async with sessionmaker() as session:
        assessment = await service.score(session, uuid.UUID(str(app_id)))
        await session.commit()
        return assessment


async def criteria(session: AsyncSession, assessment: Assessment) -> list[dict[str, Any]]:
    """The assessment's criteria as the API reads them (rendered from the stored results)."""
    version = await session.get_one(RulesetVersion, assessment.ruleset_version_id)
    return documents(compile_ruleset(service.ruleset_of(version)), assessment.results)


async def status_of(session: AsyncSession, app_id: Any) -> str:
    value = await session.scalar(select(Application.status).where(Application.id == app_id))
    assert value is not None
    return value.value


class TestScore:
    async def test_friche_application_is_eligible_with_event_and_audit(
        self, portal: Any, territory_key: tuple[Any, Key], sessionmaker: Any, session: AsyncSession
    ) -> None:
        _, key = territory_key
        application = await submitted(portal(key.secret), **friche_application())

        assessment = await score(sessionmaker, application["id"])

        assert assessment is not None
        assert assessment.outcome == "eligible", await criteria(session, assessment)
        assert assessment.missing_inputs == []
        assert await status_of(session, application["id"]) == "eligible"
        event = await session.scalar(
            select(Event).where(
                Event.subject_id == uuid.UUID(application["id"]), Event.type == "application.scored"
            )
        )
        assert event is not None
        assert event.data["outcome"] == "eligible"
        assert event.data["status"] == "eligible"
        assert event.data["previous_status"] == "submitted"
        assert event.data["ruleset_version"] == SHIPPED
        assert event.data["total_points"] == float(assessment.total_points)
        assert event.data["missing_input_count"] == 0
        actions = await session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.subject_id == application["id"], AuditEntry.actor_key_id.is_(None)
            )
        )
        assert set(actions) == {"application.screen", "application.mark_eligible"}

    async def test_agricultural_land_is_ineligible(
        self, portal: Any, territory_key: tuple[Any, Key], sessionmaker: Any, session: AsyncSession
    ) -> None:
        _, key = territory_key
        application = await submitted(
            portal(key.secret), **friche_application(former_use="agricultural")
        )

        assessment = await score(sessionmaker, application["id"])

        assert assessment is not None
        assert assessment.outcome == "ineligible"
        failed = [
            r["id"]
            for r in await criteria(session, assessment)
            if r["status"] == "fail" and r["kind"] == "gate"
        ]
        assert failed == ["F03_not_agricultural_or_forest"]
        assert await status_of(session, application["id"]) == "ineligible"

    async def test_acceleration_is_undetermined_on_the_zoning_data_tidi_lacks(
        self, portal: Any, territory_key: tuple[Any, Key], sessionmaker: Any, session: AsyncSession
    ) -> None:
        _, key = territory_key
        application = await submitted(portal(key.secret), documented_project())

        assessment = await score(sessionmaker, application["id"])

        assert assessment is not None
        results = await criteria(session, assessment)
        assert assessment.outcome == "undetermined", [
            (r["id"], r["explanation"]) for r in results if r["status"] == "fail"
        ]
        assert assessment.missing_inputs == ACCELERATION_PROGRAMME_GAPS
        unknown = {r["id"] for r in results if r["status"] == "unknown" and r["kind"] == "gate"}
        assert unknown == {"G14_state_aid_ceiling"}
        g04 = next(r for r in results if r["id"] == "G04_excluded_sectors")
        assert g04["inputs"]["site.naf_code"] == "24.53Z"
        assert await status_of(session, application["id"]) == "undetermined"

    async def test_the_same_job_twice_creates_one_assessment(
        self, portal: Any, territory_key: tuple[Any, Key], sessionmaker: Any, session: AsyncSession
    ) -> None:
        _, key = territory_key
        application = await submitted(portal(key.secret), **friche_application())

        first = await score(sessionmaker, application["id"])
        second = await score(sessionmaker, application["id"])

        assert first is not None
        assert second is not None
        assert first.id == second.id
        count = await session.scalar(
            select(func.count())
            .select_from(Assessment)
            .where(Assessment.application_id == uuid.UUID(application["id"]))
        )
        events = await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(
                Event.subject_id == uuid.UUID(application["id"]), Event.type == "application.scored"
            )
        )
        assert (count, events) == (1, 1)

    async def test_engine_failure_moves_to_screening_error_with_the_error_audited(
        self,
        portal: Any,
        territory_key: tuple[Any, Key],
        sessionmaker: Any,
        session: AsyncSession,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        _, key = territory_key
        application = await submitted(portal(key.secret), **friche_application())

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise ZeroDivisionError("injected engine fault")

        monkeypatch.setattr(service, "evaluate_ruleset", broken)
        assert await score(sessionmaker, application["id"]) is None

        assert await status_of(session, application["id"]) == "screening_error"
        entry = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.subject_id == application["id"],
                AuditEntry.action == "application.mark_screening_error",
            )
        )
        assert entry is not None
        assert entry.reason == "ZeroDivisionError: injected engine fault"
        assert await session.scalar(select(func.count()).select_from(Assessment)) == 0

        monkeypatch.undo()
        rescored = await score(sessionmaker, application["id"])
        assert rescored is not None
        assert rescored.outcome == "eligible"

    async def test_fund_without_published_ruleset_leaves_the_application_submitted(
        self, portal: Any, territory_key: tuple[Any, Key], sessionmaker: Any, session: AsyncSession
    ) -> None:
        _, key = territory_key
        application = await submitted(portal(key.secret), **friche_application())
        await session.execute(text("DELETE FROM ruleset_versions"))
        await session.commit()

        assert await score(sessionmaker, application["id"]) is None

        assert await status_of(session, application["id"]) == "submitted"
        async with sessionmaker() as other:
            jobs = await service.unscored_jobs(other, older_than=timedelta(0))
        assert [(j.name, j.job_id) for j in jobs] == [
            ("eligibility.score_application", f"score:{application['id']}:1")
        ]


class TestRulesets:
    async def test_seed_stores_every_shipped_ruleset_once(self, session: AsyncSession) -> None:
        assert await service.seed_rulesets(session) == 0
        rows = (
            await session.execute(
                select(Fund.code, RulesetVersion.version, RulesetVersion.status).join(
                    Fund, Fund.id == RulesetVersion.fund_id
                )
            )
        ).all()
        assert sorted((code, version) for code, version, _ in rows) == sorted(SHIPPED_RULESETS)
        assert {status for _, _, status in rows} == {"published"}

    async def test_a_published_version_cannot_be_updated(self, session: AsyncSession) -> None:
        version = await session.scalar(select(RulesetVersion).limit(1))
        assert version is not None
        with pytest.raises(Exception, match="published"):
            service.revise_draft(version, service.ruleset_of(version))
        with pytest.raises(DBAPIError, match="immutable"):
            await session.execute(
                text("UPDATE ruleset_versions SET definition = '{}' WHERE id = :id"),
                {"id": version.id},
            )

    async def test_an_assessment_cannot_be_updated(
        self, portal: Any, territory_key: tuple[Any, Key], sessionmaker: Any, session: AsyncSession
    ) -> None:
        _, key = territory_key
        application = await submitted(portal(key.secret), **friche_application())
        assessment = await score(sessionmaker, application["id"])
        assert assessment is not None

        with pytest.raises(DBAPIError, match="immutable"):
            await session.execute(
                text("UPDATE assessments SET outcome = 'ineligible' WHERE id = :id"),
                {"id": assessment.id},
            )
