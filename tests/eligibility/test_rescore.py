"""Rescoring a fund after a publication, batch by batch, its progress, and one application."""

import itertools
import uuid
from typing import Any

import pytest
from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from arq.worker import Worker
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker.jobs import eligibility as jobs
from services.worker.main import worker_options
from shared.applications.models import Application
from shared.eligibility import rescoring, service
from shared.eligibility.models import Assessment, RulesetVersion
from shared.events.models import Event
from shared.principal import Role
from shared.settings import Settings
from tests.eligibility.ruleset_flows import NEXT, SHIPPED, create_draft, publish, scored_friche
from tests.fixtures.bodies import excluding_industrial_sites
from tests.fixtures.builders import Key, MakeKey
from tests.fixtures.flows import fetch, if_match, nothing_written, update_row

pytestmark = [
    pytest.mark.usefixtures("open_fund_windows"),
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning:arq.worker"),
]
PROGRESS = f"/v1/funds/fonds-friches/rulesets/{NEXT}/rescore"


@pytest.fixture
async def arq_pool(test_settings: Settings) -> Any:
    pool = await create_pool(
        RedisSettings.from_dsn(test_settings.redis_url()),
        default_queue_name=test_settings.WORKER_QUEUE_NAME,
    )
    yield pool
    await pool.aclose()


@pytest.fixture
def ctx(sessionmaker: Any, arq_pool: ArqRedis, test_settings: Settings) -> dict[str, Any]:
    return {"sessionmaker": sessionmaker, "redis": arq_pool, "settings": test_settings}


async def publish_next(portal: Any, admin_key: Key) -> str:
    """Publish the draft excluding industrial sites as version `NEXT`; its id."""
    admin = portal(admin_key.secret)
    draft, etag = await create_draft(admin, excluding_industrial_sites())
    await publish(admin, "fonds-friches", NEXT, etag)
    return str(draft["id"])


async def run_chain(ctx: dict[str, Any], version_id: str, batch_size: int) -> list[dict[str, Any]]:
    """Run the batches one after the other, as the worker would, following `next_after`."""
    results = []
    after = None
    while True:
        result = await jobs.rescore_fund(ctx, version_id, after, batch_size)
        results.append(result)
        after = result["next_after"]
        if after is None:
            return results


async def state_of(session: AsyncSession, app_id: str) -> tuple[str, list[int], int]:
    """(status, ruleset versions of its assessments, application.scored events)."""
    key = uuid.UUID(app_id)
    session.expire_all()
    status = await session.scalar(select(Application.status).where(Application.id == key))
    versions = (
        await session.scalars(
            select(RulesetVersion.version)
            .join(Assessment, Assessment.ruleset_version_id == RulesetVersion.id)
            .where(Assessment.application_id == key)
            .order_by(RulesetVersion.version)
        )
    ).all()
    events = await session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.subject_id == key, Event.type == "application.scored")
    )
    assert status is not None
    return status.value, list(versions), int(events or 0)


class TestRescoreFund:
    async def test_batches_assess_every_application_once_and_move_the_outcomes(
        self,
        portal: Any,
        admin_key: Key,
        territory_key: tuple[Any, Key],
        sessionmaker: Any,
        session: AsyncSession,
        ctx: dict[str, Any],
    ) -> None:
        _, key = territory_key
        p = portal(key.secret)
        industrial = [
            await scored_friche(p, sessionmaker, former_use="industrial") for _ in range(2)
        ]
        commercial = await scored_friche(p, sessionmaker, former_use="commercial")
        version_id = await publish_next(portal, admin_key)
        admin = portal(admin_key.secret)
        assert (await admin.call("GET", PROGRESS, expect=200)).json() == {
            "fund_code": "fonds-friches",
            "ruleset_version": NEXT,
            "state": "in_progress",
            "total": 3,
            "done": 0,
            "failed": 0,
            "remaining": 3,
        }

        results = await run_chain(ctx, version_id, batch_size=2)

        assert [r["assessed"] for r in results] == [2, 1]
        for application in industrial:
            assert await state_of(session, application["id"]) == ("ineligible", [SHIPPED, NEXT], 2)
        assert await state_of(session, commercial["id"]) == ("eligible", [SHIPPED, NEXT], 2)
        progress = (await admin.call("GET", PROGRESS, expect=200)).json()
        assert (progress["state"], progress["done"], progress["remaining"]) == ("completed", 3, 0)

        rerun = await run_chain(ctx, version_id, batch_size=2)

        # A chain run again reads its range again and finds every application assessed.
        assert [r["assessed"] for r in rerun] == [0, 0]
        assert await state_of(session, commercial["id"]) == ("eligible", [SHIPPED, NEXT], 2)

    async def test_a_burst_worker_runs_every_shard_after_publication(
        self,
        portal: Any,
        admin_key: Key,
        territory_key: tuple[Any, Key],
        sessionmaker: Any,
        session: AsyncSession,
        test_settings: Settings,
    ) -> None:
        _, key = territory_key
        p = portal(key.secret)
        apps = [await scored_friche(p, sessionmaker, former_use="industrial") for _ in range(3)]
        await publish_next(portal, admin_key)
        options = worker_options(test_settings) | {"poll_delay": 0}
        worker = Worker(**options, burst=True, handle_signals=False)
        try:
            await worker.main()
        finally:
            await worker.close()

        for application in apps:
            assert await state_of(session, application["id"]) == ("ineligible", [SHIPPED, NEXT], 2)
        progress = (await portal(admin_key.secret).call("GET", PROGRESS, expect=200)).json()
        assert (progress["state"], progress["done"]) == ("completed", 3)

    async def test_past_preselection_an_assessment_is_added_and_the_status_kept(
        self,
        portal: Any,
        admin_key: Key,
        territory_key: tuple[Any, Key],
        sessionmaker: Any,
        session: AsyncSession,
        ctx: dict[str, Any],
    ) -> None:
        _, key = territory_key
        application = await scored_friche(portal(key.secret), sessionmaker, former_use="industrial")
        await update_row(sessionmaker, "applications", application["id"], status="preselected")
        version_id = await publish_next(portal, admin_key)

        await run_chain(ctx, version_id, batch_size=10)

        assert await state_of(session, application["id"]) == ("preselected", [SHIPPED, NEXT], 1)
        latest = await session.scalar(
            select(Assessment)
            .where(Assessment.application_id == uuid.UUID(application["id"]))
            .order_by(Assessment.created_at.desc())
            .limit(1)
        )
        assert latest is not None
        assert latest.outcome == "ineligible"

    async def test_a_superseded_version_stops_and_reports_superseded(
        self,
        portal: Any,
        admin_key: Key,
        territory_key: tuple[Any, Key],
        sessionmaker: Any,
        ctx: dict[str, Any],
    ) -> None:
        _, key = territory_key
        await scored_friche(portal(key.secret), sessionmaker)
        version_id = await publish_next(portal, admin_key)
        admin = portal(admin_key.secret)
        _, etag = await create_draft(admin, excluding_industrial_sites())
        await publish(admin, "fonds-friches", NEXT + 1, etag)

        assert await run_chain(ctx, version_id, batch_size=10) == [
            {"assessed": 0, "skipped": 0, "next_after": None}
        ]
        progress = (await admin.call("GET", PROGRESS, expect=200)).json()
        assert (progress["state"], progress["remaining"]) == ("superseded", 1)
        async with nothing_written(sessionmaker):
            restart = await admin.call("POST", PROGRESS, expect=409)
        assert restart.json()["type"].endswith("/ruleset-superseded")

    async def test_publication_queues_the_first_batch_and_restart_queues_another(
        self, portal: Any, admin_key: Key, arq_pool: ArqRedis
    ) -> None:
        version_id = await publish_next(portal, admin_key)
        queued = {job.job_id for job in await arq_pool.queued_jobs()}
        shards = rescoring.SHARDS
        assert {f"rescore:{version_id}:{n}/{shards}:start" for n in range(shards)} <= queued

        restarted = await portal(admin_key.secret).call("POST", PROGRESS, expect=202)

        job_ids = restarted.json()["job_ids"]
        assert len(job_ids) == shards
        assert all(i.startswith(f"rescore:{version_id}:") for i in job_ids)
        assert set(job_ids) <= {job.job_id for job in await arq_pool.queued_jobs()}

    async def test_progress_of_a_draft_is_409_and_of_a_missing_version_404(
        self, portal: Any, admin_key: Key, sessionmaker: Any
    ) -> None:
        admin = portal(admin_key.secret)
        await create_draft(admin, excluding_industrial_sites())

        async with nothing_written(sessionmaker):
            draft = await admin.call("GET", PROGRESS, expect=409)
            await admin.call(
                "GET", f"/v1/funds/fonds-friches/rulesets/{NEXT + 6}/rescore", expect=404
            )
            await admin.call("POST", PROGRESS, expect=409)

        assert draft.json()["type"].endswith("/ruleset-not-published")


class TestRescoreApplication:
    async def test_an_application_in_screening_error_is_rescored_by_an_admin(
        self,
        portal: Any,
        admin_key: Key,
        territory_key: tuple[Any, Key],
        sessionmaker: Any,
        session: AsyncSession,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        _, key = territory_key

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise ZeroDivisionError("injected engine fault")

        monkeypatch.setattr(service, "evaluate_ruleset", broken)
        application = await scored_friche(portal(key.secret), sessionmaker)
        monkeypatch.undo()
        admin = portal(admin_key.secret)
        current = await fetch(admin, "applications", application["id"])
        assert current["status"] == "screening_error"
        url = f"/v1/applications/{application['id']}/rescore"

        async with nothing_written(sessionmaker):
            await admin.call("POST", url, expect=428)
        response = await admin.call("POST", url, headers=if_match(current), expect=200)

        body = response.json()
        assert body["status"] == "eligible"
        assert body["assessment"]["outcome"] == "eligible"
        assert body["assessment"]["ruleset_version"] == SHIPPED
        assert response.headers["etag"] == f'"{body["version"]}"'
        assert await state_of(session, application["id"]) == ("eligible", [SHIPPED], 1)
        async with nothing_written(sessionmaker):
            again = await admin.call("POST", url, headers={"If-Match": response.headers["etag"]})
        assert again.status_code == 409
        assert again.json()["type"].endswith("/not-in-screening-error")

    async def test_only_admins_may_and_unknown_ids_are_404(
        self,
        portal: Any,
        admin_key: Key,
        territory_key: tuple[Any, Key],
        make_key: MakeKey,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        application = await scored_friche(portal(key.secret), sessionmaker)
        operator = await make_key(Role.OPERATOR, operator_code="etat")
        url = f"/v1/applications/{application['id']}/rescore"

        async with nothing_written(sessionmaker):
            await portal(key.secret).call("POST", url, headers={"If-Match": '"1"'}, expect=403)
            await portal(operator.secret).call("POST", url, headers={"If-Match": '"1"'}, expect=403)
            await portal(admin_key.secret).call(
                "POST",
                f"/v1/applications/{uuid.uuid4()}/rescore",
                headers={"If-Match": '"1"'},
                expect=404,
            )


class TestShards:
    def test_a_batch_stays_small_against_the_job_timeout(self) -> None:
        assert rescoring.BATCH_SIZE <= 500

    def test_shards_cover_the_id_space_without_overlap(self) -> None:
        bounds = [rescoring.shard_bounds(n, 8) for n in range(8)]
        assert bounds[0][0] is None
        assert bounds[-1][1] is None
        for (_, high), (low, _) in itertools.pairwise(bounds):
            assert high == low
        with pytest.raises(ValueError, match="not in"):
            rescoring.shard_bounds(8, 8)

    async def test_sharded_chains_together_assess_every_application_once(
        self,
        portal: Any,
        admin_key: Key,
        territory_key: tuple[Any, Key],
        sessionmaker: Any,
        session: AsyncSession,
        ctx: dict[str, Any],
    ) -> None:
        _, key = territory_key
        p = portal(key.secret)
        apps = [await scored_friche(p, sessionmaker, former_use="industrial") for _ in range(5)]
        version_id = await publish_next(portal, admin_key)

        assessed = 0
        for shard in range(4):
            after = None
            while True:
                result = await jobs.rescore_fund(ctx, version_id, after, 1, shard, 4)
                assessed += result["assessed"]
                after = result["next_after"]
                if after is None:
                    break

        assert assessed == 5
        for application in apps:
            assert await state_of(session, application["id"]) == ("ineligible", [SHIPPED, NEXT], 2)
