"""The state-change statement: the row and its audit entry together, or neither."""

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from shared.applications.models import Application
from shared.audit import service as audit_service
from shared.audit.models import AuditEntry
from shared.audit.versioned import update_audited
from shared.auth.principal import SYSTEM
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
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
            await update_audited(session, application, {"submission_no": 7}, _entry(app_id))
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
                await update_audited(session, application, {"submission_no": 7}, _entry(app_id))
            await session.commit()

        async with sessionmaker() as session:
            stored = await session.get_one(Application, app_id)
            assert stored.submission_no == 0
        assert await _audits(sessionmaker, app_id) == 0
