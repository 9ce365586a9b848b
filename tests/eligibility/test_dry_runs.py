"""Ruleset dry-runs in the background: the result resource, its batches, resumption, expiry."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload

from services.worker.jobs import eligibility as jobs
from shared.applications.models import Application
from shared.eligibility import dryrun, service
from shared.eligibility.dryrun_models import DryRun
from shared.eligibility.models import Assessment
from shared.eligibility.rules import Ruleset
from shared.events.models import Event
from shared.principal import Role
from shared.settings import Settings
from tests.eligibility.ruleset_flows import create_draft, scored_friche
from tests.fixtures.bodies import excluding_industrial_sites
from tests.fixtures.builders import Key, MakeKey
from tests.fixtures.flows import nothing_written

pytestmark = pytest.mark.usefixtures("open_fund_windows")
RULESETS = "/v1/funds/fonds-friches/rulesets"


@pytest.fixture
async def ctx(sessionmaker: Any, test_settings: Settings) -> Any:
    pool = await create_pool(
        RedisSettings.from_dsn(test_settings.redis_url()),
        default_queue_name=test_settings.WORKER_QUEUE_NAME,
    )
    yield {"sessionmaker": sessionmaker, "redis": pool, "settings": test_settings}
    await pool.aclose()


async def run_to_the_end(ctx: Any, dry_run_id: str) -> int:
    """Run the batches one after the other, as the worker would; how many ran."""
    after, batches = None, 0
    while True:
        after = await jobs.dry_run(ctx, dry_run_id, after)
        batches += 1
        if after is None:
            return batches


async def expected_changes(
    sessionmaker: async_sessionmaker[AsyncSession], ids: list[str], draft: dict[str, Any]
) -> dict[str, tuple[str, str, float]]:
    """(before, after, delta) of each application, evaluated one by one."""
    candidate = Ruleset.model_validate(draft["definition"])
    expected = {}
    async with sessionmaker() as session:
        for app_id in ids:
            application = await session.scalar(
                select(Application)
                .options(joinedload(Application.fund))
                .where(Application.id == uuid.UUID(app_id))
            )
            assert application is not None
            rules = await service.current_rules(session, application.fund_id)
            assert rules is not None
            before = await service.evaluate_with(session, application, rules.ruleset)
            after = await service.evaluate_with(session, application, candidate)
            delta = float(service.points(after.total)) - float(service.points(before.total))
            expected[app_id] = (before.verdict.value, after.verdict.value, round(delta, 2))
    return expected


async def test_a_dry_run_fills_its_result_batch_by_batch_and_writes_nothing_else(
    portal: Any,
    admin_key: Key,
    territory_key: tuple[Any, Key],
    sessionmaker: Any,
    session: AsyncSession,
    ctx: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, key = territory_key
    p = portal(key.secret)
    apps = [
        await scored_friche(p, sessionmaker, former_use=use)
        for use in ("industrial", "commercial", "industrial")
    ]
    document = excluding_industrial_sites()
    document["params"]["area_full_score_ha"] = 8
    admin = portal(admin_key.secret)
    draft, _ = await create_draft(admin, document)
    number = draft["version"]
    before = {
        "assessments": await session.scalar(select(func.count()).select_from(Assessment)),
        "events": await session.scalar(select(func.count()).select_from(Event)),
    }

    started = await admin.call("POST", f"{RULESETS}/{number}/dry-run", expect=202)

    body = started.json()
    location = started.headers["location"]
    assert location == f"{RULESETS}/{number}/dry-runs/{body['id']}"
    assert (body["state"], body["done"], body["total"], body["report"]) == ("running", 0, 3, None)
    monkeypatch.setattr(dryrun, "BATCH_SIZE", 2)
    assert await run_to_the_end(ctx, body["id"]) == 2
    result = (await admin.call("GET", location, expect=200)).json()
    assert (result["state"], result["done"], result["total"]) == ("completed", 3, 3)
    report = result["report"]
    expected = await expected_changes(sessionmaker, [a["id"] for a in apps], draft)
    changed = {k: v for k, v in expected.items() if v[0] != v[1] or v[2]}
    assert {i["application_id"]: i for i in report["items"]}.keys() == changed.keys()
    for item in report["items"]:
        want = expected[item["application_id"]]
        assert (item["before_outcome"], item["after_outcome"], item["delta"]) == want
    transitions: dict[str, int] = {}
    for b, a, _ in expected.values():
        if b != a:
            transitions[f"{b}→{a}"] = transitions.get(f"{b}→{a}", 0) + 1
    summary = report["summary"]
    assert summary["transitions"] == transitions
    assert summary["evaluated"] == 3
    assert summary["failed"] == 0
    assert summary["points_changed"] == sum(1 for v in expected.values() if v[2])
    assert report["items"] == sorted(
        report["items"],
        key=lambda i: (
            i["before_outcome"] == i["after_outcome"],
            -abs(i["delta"]),
            i["application_id"],
        ),
    )
    session.expire_all()
    after = {
        "assessments": await session.scalar(select(func.count()).select_from(Assessment)),
        "events": await session.scalar(select(func.count()).select_from(Event)),
    }
    assert after == before


async def test_a_batch_run_again_counts_nothing_twice(
    portal: Any,
    admin_key: Key,
    territory_key: tuple[Any, Key],
    sessionmaker: Any,
    ctx: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, key = territory_key
    p = portal(key.secret)
    for _ in range(3):
        await scored_friche(p, sessionmaker, former_use="industrial")
    admin = portal(admin_key.secret)
    draft, _ = await create_draft(admin, excluding_industrial_sites())
    started = await admin.call("POST", f"{RULESETS}/{draft['version']}/dry-run", expect=202)
    run_id = started.json()["id"]
    monkeypatch.setattr(dryrun, "BATCH_SIZE", 1)

    first = await jobs.dry_run(ctx, run_id, None)
    again = await jobs.dry_run(ctx, run_id, None)  # the same job, as after a crash
    assert first is not None
    assert again is None
    second = await jobs.dry_run(ctx, run_id, first)
    third = await jobs.dry_run(ctx, run_id, second)
    assert third is not None
    assert await jobs.dry_run(ctx, run_id, third) is None  # nothing left: completed

    result = (await admin.call("GET", started.headers["location"], expect=200)).json()
    assert (result["state"], result["done"]) == ("completed", 3)
    assert result["report"]["summary"]["evaluated"] == 3


async def test_published_versions_are_409_and_only_admins_may(
    portal: Any, admin_key: Key, make_key: MakeKey, sessionmaker: Any
) -> None:
    admin = portal(admin_key.secret)
    draft, _ = await create_draft(admin, excluding_industrial_sites())
    operator = await make_key(Role.OPERATOR, operator_code="etat")
    url = f"{RULESETS}/{draft['version']}/dry-run"

    async with nothing_written(sessionmaker):
        refused = await admin.call("POST", f"{RULESETS}/1/dry-run", expect=409)
        await portal(operator.secret).call("POST", url, expect=403)
        await admin.call(
            "GET", f"{RULESETS}/{draft['version']}/dry-runs/{uuid.uuid4()}", expect=404
        )

    assert refused.json()["type"].endswith("/ruleset-not-draft")
    started = await admin.call("POST", url, expect=202)
    location = started.headers["location"]
    await portal(operator.secret).call("GET", location, expect=403)
    await admin.call("GET", location.replace(f"/{draft['version']}/", "/1/"), expect=404)


async def test_expired_results_are_gone_and_purged(
    portal: Any, admin_key: Key, sessionmaker: async_sessionmaker[AsyncSession], ctx: Any
) -> None:
    admin = portal(admin_key.secret)
    draft, _ = await create_draft(admin, excluding_industrial_sites())
    started = await admin.call("POST", f"{RULESETS}/{draft['version']}/dry-run", expect=202)
    await run_to_the_end(ctx, started.json()["id"])
    result = (await admin.call("GET", started.headers["location"], expect=200)).json()
    completed = datetime.fromisoformat(result["completed_at"])
    assert datetime.fromisoformat(result["expires_at"]) - completed == dryrun.RETENTION

    assert await jobs.purge_dry_runs(ctx) == 0
    async with sessionmaker() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        await session.execute(update(DryRun).values(expires_at=past))
        await session.commit()
    await admin.call("GET", started.headers["location"], expect=404)
    assert await jobs.purge_dry_runs(ctx) == 1
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(DryRun)) == 0
