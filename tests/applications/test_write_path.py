"""The state-change statement: the row, its audit entry and its event together, or none."""

import uuid
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter
from sqlalchemy import DateTime, func, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from services.api.deps import get_session
from services.api.sessions import end_sessions, own_sessions
from shared.applications.models import Application
from shared.audit import service as audit_service
from shared.audit.models import AuditEntry
from shared.db.engine import create_statement_sessionmaker
from shared.events import service as event_service
from shared.events.catalogue import ApplicationEventData, EventType
from shared.events.models import Event
from shared.events.service import NewEvent
from shared.outbox.repository import json_instant
from shared.outbox.service import record_change
from shared.principal import SYSTEM
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.database import statements_sent
from tests.fixtures.flows import Portal, update_row

pytestmark = pytest.mark.usefixtures("open_fund_windows")


@pytest.fixture
async def draft(portal: Any, make_territory: MakeTerritory, make_key: MakeKey) -> dict[str, Any]:
    territory = await make_territory("ti-pontivy")
    key: Key = await make_key("territory", territory_id=territory.id)
    team: Portal = portal(key.secret)
    return await team.draft_application(await team.active_project())


def _entry(application_id: uuid.UUID) -> dict[str, Any]:
    return audit_service.entry_values(
        SYSTEM, action="application.test", subject_type="application", subject_id=application_id
    )


async def _audits(sessionmaker: async_sessionmaker[AsyncSession], subject: uuid.UUID) -> int:
    async with sessionmaker() as session:
        statement = select(func.count()).where(
            AuditEntry.subject_id == str(subject), AuditEntry.action == "application.test"
        )
        return int(await session.scalar(statement) or 0)


class TestUpdateAudited:
    async def test_row_version_and_entry_are_written_together(
        self, draft: dict[str, Any], sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        app_id = uuid.UUID(draft["id"])
        async with sessionmaker() as session:
            application = await session.get_one(Application, app_id)
            before = application.updated_at
            await record_change(session, application, {"submission_no": 7}, _entry(app_id))
            assert application.version == draft["version"] + 1
            assert application.updated_at >= before
            assert not session.dirty  # nothing left for a flush
            await session.commit()

        async with sessionmaker() as session:
            stored = await session.get_one(Application, app_id)
            assert (stored.submission_no, stored.version) == (7, draft["version"] + 1)
        assert await _audits(sessionmaker, app_id) == 1

    async def test_a_row_changed_since_it_was_read_writes_nothing(
        self, draft: dict[str, Any], sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        app_id = uuid.UUID(draft["id"])
        async with sessionmaker() as session:
            application = await session.get_one(Application, app_id)
            await update_row(sessionmaker, "applications", app_id, version=draft["version"] + 1)

            with pytest.raises(StaleDataError):
                await record_change(session, application, {"submission_no": 7}, _entry(app_id))
            await session.commit()

        async with sessionmaker() as session:
            stored = await session.get_one(Application, app_id)
            assert stored.submission_no == 0
        assert await _audits(sessionmaker, app_id) == 0


def _event(application: Application) -> NewEvent:
    return event_service.new_event(
        EventType.APPLICATION_WITHDRAWN,
        ApplicationEventData(
            id=application.id,
            url=f"/v1/applications/{application.id}",
            status="withdrawn",
            previous_status="draft",
            occurred_at=application.updated_at,
            sequence=0,  # stamped by the statement
            project_id=application.project_id,
            fund_code="fonds-acceleration",
            territory_id=application.territory_id,
            region_code=application.region_code,
            requested_amount_cents=None,
            eligible_expense_base_cents=None,
        ),
        subject_type="application",
        subject_id=application.id,
        sequence=0,
        operator_id=application.operator_id,
    )


class TestUpdateAuditedWithEvent:
    async def test_the_event_is_stamped_with_the_new_version_and_instant(
        self, draft: dict[str, Any], sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        app_id = uuid.UUID(draft["id"])
        async with sessionmaker() as session:
            application = await session.get_one(Application, app_id)
            event = _event(application)
            await record_change(
                session, application, {"submission_no": 7}, _entry(app_id), event=event
            )
            await session.commit()
            stored = await session.get_one(Event, event.id)
        assert stored.sequence == stored.data["sequence"] == application.version
        assert stored.occurred_at == application.updated_at
        instant = TypeAdapter(datetime).dump_python(application.updated_at, mode="json")
        assert stored.data["occurred_at"] == instant
        assert await _audits(sessionmaker, app_id) == 1

    async def test_a_stale_row_writes_no_event(
        self, draft: dict[str, Any], sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        app_id = uuid.UUID(draft["id"])
        async with sessionmaker() as session:
            application = await session.get_one(Application, app_id)
            await update_row(sessionmaker, "applications", app_id, version=draft["version"] + 1)
            event = _event(application)
            with pytest.raises(StaleDataError):
                await record_change(
                    session, application, {"submission_no": 7}, _entry(app_id), event=event
                )
            await session.commit()
            assert await session.get(Event, event.id) is None
        assert await _audits(sessionmaker, app_id) == 0


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 6, 30, 22, 0, 0, 5, tzinfo=timezone(timedelta(hours=2))),
    ],
)
async def test_instants_stamped_in_sql_read_as_pydantic_writes_them(
    instant: datetime, session: AsyncSession
) -> None:
    stamped = await session.scalar(select(json_instant(literal(instant, DateTime(timezone=True)))))
    assert stamped == TypeAdapter(datetime).dump_python(instant.astimezone(UTC), mode="json")


class TestStatementSession:
    async def test_each_statement_commits_on_its_own(
        self,
        draft: dict[str, Any],
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        app_id = uuid.UUID(draft["id"])
        async with create_statement_sessionmaker(engine)() as session:
            application = await session.get_one(Application, app_id)
            await record_change(session, application, {"submission_no": 7}, _entry(app_id))
            # Not committed by the session, yet visible to another connection.
            assert await _audits(sessionmaker, app_id) == 1
            await session.rollback()
        async with sessionmaker() as check:
            assert (await check.get_one(Application, app_id)).submission_no == 7

    async def test_an_orm_flush_is_refused(
        self, draft: dict[str, Any], engine: AsyncEngine
    ) -> None:
        async with create_statement_sessionmaker(engine)() as session:
            application = await session.get_one(Application, uuid.UUID(draft["id"]))
            application.submission_no = 3
            with pytest.raises(RuntimeError, match="one statement"):
                await session.flush()

    async def test_a_read_leaving_orm_changes_pending_is_refused(
        self,
        draft: dict[str, Any],
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        # A GET's session is never committed (each statement commits itself): what the
        # ORM holds unwritten at the end is an error, not silently dropped.
        state = SimpleNamespace(statement_sessionmaker=create_statement_sessionmaker(engine))
        request: Any = SimpleNamespace(method="GET", app=SimpleNamespace(state=state), scope={})
        own_sessions(request)
        session = await get_session(request)
        application = await session.get_one(Application, uuid.UUID(draft["id"]))
        application.submission_no = 5
        with pytest.raises(RuntimeError, match="one statement"):
            await end_sessions(request, failed=False)
        async with sessionmaker() as check:
            stored = await check.get_one(Application, uuid.UUID(draft["id"]))
            assert stored.submission_no != 5


async def test_a_submit_reads_the_territory_with_the_rules_other_facts(
    app: FastAPI, portal: Any, make_territory: MakeTerritory, make_key: MakeKey
) -> None:
    # The rules read the territory's id, code and name: the statement of the register's
    # de minimis and the site's zonings brings them, so no statement reads it on its own.
    territory = await make_territory("ti-pontivy")
    key: Key = await make_key("territory", territory_id=territory.id)
    team: Portal = portal(key.secret)
    draft = await team.draft_application(await team.active_project())
    with statements_sent(app.state.engine) as statements:
        await team.act(draft, "applications", "submit")
    reads = [s for s in statements if s.lstrip().startswith("SELECT")]
    with_territory = [s for s in reads if "FROM territories" in s or "JOIN territories" in s]
    assert len(with_territory) == 1, statements
    assert "AS facts" in with_territory[0], with_territory
    assert "AS site" in with_territory[0], with_territory
