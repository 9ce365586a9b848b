import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from shared.events.models import Event
from shared.jobs import take_deferred_jobs
from tests.fixtures.api import auth
from tests.fixtures.builders import Key, MakeTerritory

_FAILING_EVENTS = (
    """CREATE OR REPLACE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'injected fault'; END $$""",
    """CREATE TRIGGER injected_fault BEFORE INSERT ON events FOR EACH ROW
    WHEN (NEW.type = 'application.submitted') EXECUTE FUNCTION injected_fault()""",
)


@pytest.fixture
async def territory_key(make_territory: MakeTerritory, make_key: Any) -> tuple[Any, Key]:
    territory = await make_territory("ti-pontivy")
    key = await make_key("territory", territory_id=territory.id)
    return territory, key


class TestSubmitApplication:
    async def test_full_flow_writes_audit_event_and_enqueues_scoring(
        self, portal: Any, territory_key: tuple[Any, Key], session: AsyncSession, redis: Any
    ) -> None:
        territory, key = territory_key
        p = portal(key.secret)
        project = await p.active_project()
        assert project["status"] == "active"
        assert project["territory_id"] == str(territory.id)
        draft = await p.draft_application(project)
        completeness = await p.call(
            "GET", f"/v1/applications/{draft['id']}/completeness", expect=200
        )
        assert completeness.json()["complete"] is True, completeness.json()

        submitted = await p.act(draft, "applications", "submit")

        assert submitted["status"] == "submitted"
        assert submitted["submission_no"] == 1
        assert submitted["project_snapshot"]["project_id"] == project["id"]
        app_id = uuid.UUID(submitted["id"])
        audit = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.subject_id == str(app_id), AuditEntry.action == "application.submit"
            )
        )
        assert audit is not None
        assert audit.actor_key_id == key.id
        event = await session.scalar(
            select(Event).where(Event.subject_id == app_id, Event.type == "application.submitted")
        )
        assert event is not None
        assert event.data["fund_code"] == "fonds-acceleration"
        assert event.sequence == submitted["version"]
        job_keys = {k.decode() async for k in redis.scan_iter("arq:job:*")}
        assert f"arq:job:score:{app_id}:1" in job_keys

    async def test_fault_between_writes_leaves_nothing(
        self,
        portal: Any,
        territory_key: tuple[Any, Key],
        sessionmaker: Any,
        app: Any,
        redis: Any,
    ) -> None:
        _, key = territory_key
        p = portal(key.secret)
        project = await p.active_project()
        draft = await p.draft_application(project)

        # The database fails the event insert, after the row and the audit entry were
        # written by the same statement.
        async with sessionmaker() as setup:
            for statement in _FAILING_EVENTS:
                await setup.execute(text(statement))
            await setup.commit()
        try:
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://tidi.test"
            ) as client:
                response = await client.post(
                    f"/v1/applications/{draft['id']}/submit",
                    headers={**auth(key.secret), "If-Match": f'"{draft["version"]}"'},
                )
        finally:
            async with sessionmaker() as setup:
                await setup.execute(text("DROP TRIGGER injected_fault ON events"))
                await setup.commit()
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        async with sessionmaker() as check:
            still = await p.call("GET", f"/v1/applications/{draft['id']}", expect=200)
            assert still.json()["status"] == "draft"
            assert still.json()["version"] == draft["version"]
            audits = await check.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.subject_id == draft["id"], AuditEntry.action == "application.submit"
                )
            )
            events = await check.scalar(
                select(func.count()).select_from(Event).where(Event.type == "application.submitted")
            )
        assert audits == 0
        assert events == 0
        assert f"arq:job:score:{draft['id']}:1".encode() not in [
            k async for k in redis.scan_iter("arq:job:*")
        ]

    async def test_outside_window_is_422_naming_it(
        self, portal: Any, territory_key: tuple[Any, Key], admin_key: Key
    ) -> None:
        _, key = territory_key
        p = portal(key.secret)
        admin = portal(admin_key.secret)
        project = await p.active_project()
        draft = await p.draft_application(project)
        fund = await admin.call("GET", "/v1/funds/fonds-acceleration", expect=200)
        await admin.call(
            "PATCH",
            "/v1/funds/fonds-acceleration",
            json={"opens_at": "2020-01-01T00:00:00Z", "closes_at": "2021-01-01T00:00:00Z"},
            headers={"If-Match": fund.headers["etag"]},
            expect=200,
        )
        response = await p.call(
            "POST",
            f"/v1/applications/{draft['id']}/submit",
            headers={"If-Match": f'"{draft["version"]}"'},
            expect=422,
        )
        problem = response.json()
        assert problem["type"].endswith("/outside-window")
        assert "2021-01-01" in problem["detail"]
        assert problem["closes_at"].startswith("2021-01-01")

    async def test_incomplete_draft_lists_what_is_missing(
        self, portal: Any, territory_key: tuple[Any, Key]
    ) -> None:
        _, key = territory_key
        p = portal(key.secret)
        project = await p.active_project()
        draft = await p.draft_application(project, aid_form=None, attestations={})
        report = (
            await p.call("GET", f"/v1/applications/{draft['id']}/completeness", expect=200)
        ).json()
        required = {m["pointer"]: m for m in report["missing"] if m["required"]}
        assert set(required) == {
            "/aid_form",
            "/attestations/tax_social_ok",
            "/attestations/not_started",
            # G10's two ways through: not in difficulty, or evidence of an exit.
            "/attestations/not_in_difficulty",
            "/attestations/difficulty_exit_proven",
        }
        assert report["complete"] is False
        assert required["/attestations/not_started"]["input"] == (
            "application.attestations.not_started"
        )
        assert required["/attestations/not_started"]["criteria"] == ["G09_not_started"]
        # Optional: only scores read them (no points without them).
        optional = {m["pointer"] for m in report["missing"] if not m["required"]}
        assert optional == {"/attestations/permits_obtained", "/attestations/financing_secured"}
        response = await p.call(
            "POST",
            f"/v1/applications/{draft['id']}/submit",
            headers={"If-Match": f'"{draft["version"]}"'},
            expect=422,
        )
        assert {m["pointer"] for m in response.json()["missing"]} == set(required)

    async def test_second_submit_is_409_naming_allowed_actions(
        self, portal: Any, territory_key: tuple[Any, Key]
    ) -> None:
        _, key = territory_key
        p = portal(key.secret)
        project = await p.active_project()
        submitted = await p.act(await p.draft_application(project), "applications", "submit")
        response = await p.call(
            "POST",
            f"/v1/applications/{submitted['id']}/submit",
            headers={"If-Match": f'"{submitted["version"]}"'},
            expect=409,
        )
        assert response.json()["allowed_actions"] == ["withdraw"]


def test_deferred_jobs_helper_forgets_after_take() -> None:
    class Holder:
        info: dict[str, Any] = {}

    holder: Any = Holder()
    assert take_deferred_jobs(holder) == []
