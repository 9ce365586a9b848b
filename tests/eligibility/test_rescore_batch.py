"""The set-based rescoring writes what scoring the applications one by one writes.

The same applications (eligible and ineligible ones, a site whose zonings the data does not
cover, an undeclared and a declared prior de minimis with aid in the State-aid register, an
application past pre-selection, engine failures before and after pre-selection) are
rescored under a new version twice, each time in a transaction rolled back afterwards: one
by one (`service.screen`, and for a status past pre-selection what the one-by-one rescoring
wrote), then by `rescoring.rescore_batch`. Statuses, versions, assessments, audit entries,
events (data, sequence, audience) and webhook deliveries must be the same.
"""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.applications.models import Application
from shared.audit import service as audit_service
from shared.audit.models import AuditEntry
from shared.eligibility import repository as eligibility_repository
from shared.eligibility import rescoring, service, verdicts
from shared.eligibility.models import Assessment, RulesetVersion
from shared.eligibility.rules import EvaluationContext, Outcome, Ruleset
from shared.eligibility.rules.rulesets import shipped_ruleset
from shared.events.models import Event
from shared.principal import SYSTEM, Role
from shared.stateaid.models import AidGrant, AidSource
from shared.stateaid.regimes import AidRegime
from shared.webhooks.models import WebhookDelivery
from shared.zonings.kinds import ZoningKind
from shared.zonings.models import CoverageScope, ZoningCoverage, ZoningMembership
from tests.eligibility.flows import submitted
from tests.eligibility.ruleset_flows import create_draft, publish, score
from tests.fixtures.bodies import PONTIVY_COMMUNE, excluding_industrial_sites, friche_application
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.flows import update_row
from tests.webhooks.conftest import create_endpoint

pytestmark = pytest.mark.usefixtures("open_fund_windows")
FAULT_CENTS = 150_000_001
SIREN = "732829320"


def faulty(real: Any) -> Any:
    """The engine, failing on applications that request `FAULT_CENTS`."""

    def evaluate(ruleset: Ruleset, context: EvaluationContext) -> Outcome:
        if context.application.requested_amount_cents == FAULT_CENTS:
            raise ZeroDivisionError("injected engine fault")
        result: Outcome = real(ruleset, context)
        return result

    return evaluate


async def one_by_one(session: AsyncSession, version: RulesetVersion, ids: list[str]) -> None:
    """What rescoring one application at a time wrote, in id order."""
    rules = service.CurrentRules.of(version)
    for app_id in sorted(ids):
        application = await eligibility_repository.lock_application(session, uuid.UUID(app_id))
        assert application is not None
        if application.status not in verdicts.RECORD_ONLY:
            await service.screen(session, application, rules)
            continue
        try:
            outcome = await service.evaluate_with(session, application, rules.ruleset)
        except ZeroDivisionError:
            continue
        assessment = service.new_assessment(application, rules, outcome)
        session.add(assessment)
        await session.flush()
        await audit_service.record(
            session,
            SYSTEM,
            action="application.rescored",
            subject_type="application",
            subject_id=application.id,
            changes={
                "assessment_id": str(assessment.id),
                "ruleset_version": version.version,
                "outcome": assessment.outcome.value,
            },
        )


async def observe(session: AsyncSession, ids: list[str], since: datetime) -> dict[str, Any]:
    """Everything the rescoring wrote about these applications, ids and instants left out."""
    keys = [uuid.UUID(i) for i in ids]
    session.expire_all()
    seen: dict[str, Any] = {}
    for app in (await session.scalars(select(Application).where(Application.id.in_(keys)))).all():
        seen[f"{app.id} row"] = (app.status.value, app.version)
    for a in (
        await session.scalars(select(Assessment).where(Assessment.created_at >= since))
    ).all():
        seen[f"{a.application_id} assessment"] = (
            a.outcome.value,
            a.total_points,
            a.max_points,
            a.results,
            a.missing_inputs,
            a.submission_no,
        )
    entries = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_id.in_(ids), AuditEntry.occurred_at >= since)
        .order_by(AuditEntry.subject_id, AuditEntry.action)
    )
    for entry in entries:
        changes = {k: v for k, v in entry.changes.items() if k != "assessment_id"}
        seen.setdefault(f"{entry.subject_id} audit", []).append(
            (
                entry.action,
                entry.actor_role,
                changes,
                entry.reason,
                "assessment_id" in entry.changes,
            )
        )
    events = await session.scalars(
        select(Event).where(Event.subject_id.in_(keys), Event.occurred_at >= since)
    )
    for event in events:
        data = {k: v for k, v in (event.data or {}).items() if k != "occurred_at"}
        deliveries = await session.scalars(
            select(WebhookDelivery.endpoint_id).where(WebhookDelivery.event_id == event.id)
        )
        seen[f"{event.subject_id} event"] = (
            event.type,
            event.sequence,
            sorted(event.audience),
            (event.fund_id, event.operator_id, event.territory_id),
            data,
            sorted(deliveries.all()),
        )
    return seen


async def register_facts(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """De minimis aid for SIREN in the register; QPV data covering (and holding) Pontivy."""
    async with sessionmaker() as session:
        coverage = {"kind": ZoningKind.QPV, "vintage": "qpv-test", "valid_from": date(2020, 1, 1)}
        session.add(
            ZoningCoverage(
                id=uuid.uuid4(),
                scope=CoverageScope.COMMUNES,
                scope_codes=[PONTIVY_COMMUNE],
                valid_to=None,
                source="test",
                **coverage,
            )
        )
        session.add(
            ZoningMembership(
                id=uuid.uuid4(),
                commune_insee=PONTIVY_COMMUNE,
                valid_to=None,
                source="test",
                **coverage,
            )
        )
        session.add(
            AidGrant(
                id=uuid.uuid4(),
                siren=SIREN,
                granted_on=datetime.now(UTC).date() - timedelta(days=90),
                regime=AidRegime.DE_MINIMIS,
                nominal_cents=25_000_000,
                gross_grant_equivalent_cents=25_000_000,
                source=AidSource.EXTERNAL,
                granted_by="Région Bretagne",
            )
        )
        await session.commit()


async def test_the_batch_writes_what_one_by_one_scoring_writes(
    portal: Any,
    admin_key: Key,
    make_territory: MakeTerritory,
    make_key: MakeKey,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    territory = await make_territory("ti-pontivy")
    key = await make_key(Role.TERRITORY, territory_id=territory.id)
    operator = await make_key(Role.OPERATOR, operator_code="bpifrance")
    await create_endpoint(portal(operator.secret).client, operator, "http://127.0.0.1:9/hook")
    p = portal(key.secret)
    await register_facts(sessionmaker)
    friches = {
        "industrial": await submitted(p, **friche_application(former_use="industrial")),
        "commercial": await submitted(p, **friche_application(former_use="commercial")),
        "preselected": await submitted(p, **friche_application(former_use="industrial")),
        "fault": await submitted(p, **friche_application(), requested_amount_cents=FAULT_CENTS),
        "fault_preselected": await submitted(
            p, **friche_application(), requested_amount_cents=FAULT_CENTS
        ),
    }
    elsewhere = {"siret": "55210055400013", "commune_insee": "56121", "admin_status": "A"}
    acceleration = {
        "declared": await submitted(p),
        "undeclared": await submitted(p),
        "uncovered": await submitted(p, {"site": elsewhere}),
    }
    applications = {**friches, **acceleration}
    for application in applications.values():
        await score(sessionmaker, application["id"])
    # Submitted before the declaration was required: its prior de minimis is unknown.
    undeclared = acceleration["undeclared"]["id"]
    await update_row(sessionmaker, "applications", undeclared, prior_deminimis_cents=None)
    for name in ("preselected", "fault_preselected"):
        await update_row(sessionmaker, "applications", friches[name]["id"], status="preselected")
    admin = portal(admin_key.secret)
    draft, etag = await create_draft(admin, excluding_industrial_sites())
    await publish(admin, "fonds-friches", draft["version"], etag)
    same = shipped_ruleset("fonds-acceleration").model_dump(mode="json")
    draft, etag = await create_draft(admin, same)
    await publish(admin, "fonds-acceleration", draft["version"], etag)
    monkeypatch.setattr(service, "evaluate_ruleset", faulty(service.evaluate_ruleset))
    monkeypatch.setattr(verdicts, "evaluate_ruleset", faulty(verdicts.evaluate_ruleset))
    friche_ids = [a["id"] for a in friches.values()]
    acceleration_ids = [a["id"] for a in acceleration.values()]

    seen: dict[str, dict[str, Any]] = {}
    for path in ("one by one", "batch"):
        async with sessionmaker() as session:
            since = await session.scalar(select(func.now()))  # what the rescoring stamps
            for fund_code, ids in (
                ("fonds-friches", friche_ids),
                ("fonds-acceleration", acceleration_ids),
            ):
                fund_version = await current(session, fund_code)
                if path == "one by one":
                    await one_by_one(session, fund_version, ids)
                else:
                    result = await rescoring.rescore_batch(session, fund_version.id, batch_size=50)
                    assert result.next_after is None
            seen[path] = await observe(session, [*friche_ids, *acceleration_ids], since)
            await session.rollback()

    assert seen["batch"] == seen["one by one"]
    by_one = seen["one by one"]
    assert by_one[f"{friches['industrial']['id']} row"][0] == "ineligible"
    assert by_one[f"{friches['fault']['id']} row"][0] == "screening_error"
    assert by_one[f"{friches['preselected']['id']} row"][0] == "preselected"
    assert f"{friches['fault_preselected']['id']} assessment" not in by_one
    region_event = by_one[f"{acceleration['declared']['id']} event"]
    assert len(region_event[2]) == 2  # Bpifrance and the Region co-deciding
    assert len(region_event[5]) == 1  # a delivery to Bpifrance's endpoint
    declared = by_one[f"{acceleration['declared']['id']} assessment"][3]
    undeclared = by_one[f"{acceleration['undeclared']['id']} assessment"][3]
    assert declared != undeclared
    covered = by_one[f"{acceleration['declared']['id']} assessment"][3]
    uncovered = by_one[f"{acceleration['uncovered']['id']} assessment"][3]
    assert "zonings.QPV" in str(uncovered)
    assert covered != uncovered


async def current(session: AsyncSession, fund_code: str) -> RulesetVersion:
    from shared.funds import service as fund_service

    fund = await fund_service.get(session, fund_code)
    version = await eligibility_repository.latest_published(session, fund.id)
    assert version is not None
    return version
