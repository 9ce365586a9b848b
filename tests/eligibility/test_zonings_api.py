"""A complete, realistic application made through the API, assessed with the site's zonings
and the holder's attested registry statuses, as the scoring reads them (`load_context`).
"""

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload

from shared.applications import service as application_service
from shared.applications.models import Application
from shared.eligibility import service
from shared.eligibility.facts import build_context, load_context, territory_facts
from shared.eligibility.rules import CriterionStatus, Outcome, evaluate_ruleset
from shared.principal import SYSTEM
from shared.seeding.service import seed_demo_zonings
from shared.territories.models import Territory
from tests.fixtures.bodies import project_body
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.flows import Portal, if_match

pytestmark = pytest.mark.usefixtures("open_fund_windows")

MAUBEUGE_EPCI = "200043396"
HOLDER = {
    "siren": "732829320",
    "name": "Forges de la Sambre",
    "kind": "company",
    "legal_form_code": "5710",
    "naf_code": "24.53Z",
    "headcount": 180,
    "turnover_cents": 4_200_000_000,
    "balance_sheet_cents": 3_100_000_000,
    "in_difficulty": False,
    "admin_status": "A",
    "registry_attested": True,
}
SITE = {"siret": "73282932000074", "commune_insee": "59392", "admin_status": "A"}
ATTESTATIONS = {
    "tax_social_ok": True,
    "not_started": True,
    "not_in_difficulty": True,
    "permits_obtained": True,
    "financing_secured": True,
}


@pytest.fixture
async def maubeuge(
    make_territory: MakeTerritory,
    make_key: MakeKey,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> tuple[Territory, Key]:
    """The Maubeuge demo territory, its key, and the demo zonings."""
    territory = await make_territory("ti-maubeuge", region_code="32", epci_sirens=[MAUBEUGE_EPCI])
    async with sessionmaker() as session:
        await seed_demo_zonings(session)
        await session.commit()
    return territory, await make_key("territory", territory_id=territory.id)


async def submit(portal: Portal, holder: dict[str, Any], site: dict[str, Any]) -> str:
    project = await portal.active_project(holder=holder, site=site)
    draft = await portal.draft_application(project, attestations=ATTESTATIONS)
    submitted = await portal.act(draft, "applications", "submit")
    return str(submitted["id"])


async def assess(
    sessionmaker: async_sessionmaker[AsyncSession], application_id: str, *, zonings: bool = True
) -> Outcome:
    """What the scoring job evaluates for this submission (its stored inputs and snapshot)."""
    async with sessionmaker() as session:
        application = await session.scalar(
            select(Application)
            .options(joinedload(Application.fund))
            .where(Application.id == uuid.UUID(application_id))
        )
        assert application is not None
        territory = (
            await session.get(Territory, application.territory_id)
            if application.territory_id is not None
            else None
        )
        inputs: dict[str, Any] = {
            "application": application_service.to_read(application, SYSTEM).model_dump(),
            "project": application.project_snapshot or {},
            "fund": application.fund,
            "submitted_at": application.submitted_at,
        }
        if zonings:
            context = await load_context(session, **inputs, territory_id=application.territory_id)
        else:
            context = build_context(**inputs, territory=territory and territory_facts(territory))
        rules = await service.current_rules(session, application.fund_id)
        assert rules is not None
        return evaluate_ruleset(rules.ruleset, context)


class TestAccelerationFund:
    async def test_a_complete_application_in_a_covered_commune_is_eligible(
        self, portal: Any, maubeuge: tuple[Territory, Key], sessionmaker: Any
    ) -> None:
        _, key = maubeuge
        application_id = await submit(portal(key.secret), HOLDER, SITE)

        outcome = await assess(sessionmaker, application_id)

        assert outcome.verdict == "eligible", [
            (r.id, r.explanation) for r in outcome.criteria if r.status != CriterionStatus.PASS
        ]
        assert outcome.missing == ()
        assert all(r.status != CriterionStatus.UNKNOWN for r in outcome.criteria)
        assert outcome.result("S01_in_territoire_industrie").points == 10
        assert outcome.result("S02_fragile_territory").points == 10
        assert outcome.result("S08_maturity").points == 10
        g14 = outcome.result("G14_state_aid_ceiling").as_json()
        assert g14["inputs"]["aid_ceiling.regime"] == "gber_art14_afr_c"
        assert "AFR_C demo-2026" in g14["inputs"]["zonings.vintage"]
        assert "TI territoires" in g14["inputs"]["zonings.vintage"]

    async def test_without_the_zonings_lookup_the_zonings_are_missing(
        self, portal: Any, maubeuge: tuple[Territory, Key], sessionmaker: Any
    ) -> None:
        _, key = maubeuge
        application_id = await submit(portal(key.secret), HOLDER, SITE)

        outcome = await assess(sessionmaker, application_id, zonings=False)

        assert outcome.verdict == "undetermined"
        assert outcome.missing == ("zonings",)

    async def test_unattested_statuses_are_asked_and_a_ceased_company_is_ineligible(
        self, portal: Any, maubeuge: tuple[Territory, Key], sessionmaker: Any
    ) -> None:
        _, key = maubeuge
        p = portal(key.secret)
        unattested = {
            k: v for k, v in HOLDER.items() if k not in ("admin_status", "registry_attested")
        }
        ceased = {**HOLDER, "admin_status": "C"}

        project = await p.active_project(holder=unattested, site=SITE)
        draft = await p.draft_application(project, attestations=ATTESTATIONS)
        refused = await p.call(
            "POST", f"/v1/applications/{draft['id']}/submit", headers=if_match(draft)
        )
        assert refused.status_code == 422, refused.text
        asked = {(m["resource"], m["input"]) for m in refused.json()["missing"]}
        assert asked == {("project", "holder.admin_status"), ("project", "site.admin_status")}
        failed = await assess(sessionmaker, await submit(p, ceased, SITE))
        assert failed.verdict == "ineligible"
        assert failed.failed_gates == ("G02_registered_and_active",)

    @pytest.mark.usefixtures("maubeuge")
    async def test_a_commune_outside_the_demo_coverage_names_the_zone_c_it_needs(
        self, portal: Any, sessionmaker: Any, make_key: MakeKey
    ) -> None:
        admin = await make_key("admin")
        pontivy = {**SITE, "commune_insee": "56178"}
        application_id = await submit(portal(admin.secret), HOLDER, pontivy)

        outcome = await assess(sessionmaker, application_id)

        assert outcome.verdict == "undetermined"
        assert outcome.missing == ("zonings.AFR_C",)
        s02 = outcome.result("S02_fragile_territory")
        assert s02.status == CriterionStatus.UNKNOWN
        assert "zonings.QPV" in s02.missing


class TestDeclaredStatuses:
    async def test_a_status_without_the_attestation_is_refused(
        self, portal: Any, maubeuge: tuple[Territory, Key]
    ) -> None:
        _, key = maubeuge
        body = {**HOLDER, "registry_attested": None}
        response = await portal(key.secret).call(
            "POST", "/v1/projects", json=project_body(holder=body, site=SITE)
        )

        assert response.status_code == 422, response.text
        assert "registry_attested" in response.text

    async def test_declared_statuses_are_read_back(
        self, portal: Any, maubeuge: tuple[Territory, Key]
    ) -> None:
        _, key = maubeuge
        project = await portal(key.secret).active_project(holder=HOLDER, site=SITE)

        assert project["holder"]["admin_status"] == "A"
        assert project["holder"]["registry_attested"] is True
        assert project["site"]["admin_status"] == "A"
