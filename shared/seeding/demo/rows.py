"""The rows of one demo project and its application, as the API would have left them:
a holder with a valid SIREN, a site (SIRET, commune), the project's snapshot frozen at
submission, and the review and decision fields its status implies."""

import random
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from shared.applications.enums import ApplicationStatus as S
from shared.classification import Priority, ProjectNature
from shared.decisions.schemas import ReasonCode
from shared.projects.schemas import HolderRead
from shared.seeding.demo.identifiers import new_id, siren, siret
from shared.seeding.demo.plans import Plan
from shared.seeding.demo.presets import ACCELERATION, DEMO_PREFIX, ECOLES
from shared.seeding.demo.reference import Commune
from shared.seeding.demo.timeline import Timeline

Row = dict[str, Any]
_NAF = ("10.71C", "16.23Z", "20.16Z", "22.29A", "24.53Z", "25.62B", "28.29B", "29.32Z")
_NATURES = {
    ACCELERATION: (ProjectNature.CREATION, ProjectNature.EXTENSION, ProjectNature.MODERNISATION),
    "fonds-friches": (ProjectNature.BROWNFIELD_REUSE,),
    "fonds-vert-ti": (ProjectNature.MODERNISATION, ProjectNature.EXTENSION),
    ECOLES: (ProjectNature.TRAINING_PLATFORM,),
}
_COUNTRIES = ("CN", "IN", "PL", "RO", "TR", "VN", "MA", "DE")
_SYNTHETIC = "Projet synthétique (données de démonstration, non réelles)."


def holder(rng: random.Random, number: int) -> Row:
    """A company with a valid SIREN, declared active and attested."""
    headcount = int(rng.lognormvariate(4.0, 1.1)) + 3
    return {
        "siren": siren(rng),
        "name": f"{DEMO_PREFIX}Industrie {number:06d}",
        "kind": "company",
        "legal_form_code": "5710",
        "naf_code": rng.choice(_NAF),
        "headcount": headcount,
        "turnover_cents": headcount * rng.randint(90_000, 250_000) * 100,
        "balance_sheet_cents": headcount * rng.randint(60_000, 180_000) * 100,
        "in_difficulty": False,
        "admin_status": "A",
        "registry_attested": True,
    }


def project_row(
    rng: random.Random,
    plan: Plan,
    number: int,
    site: Commune,
    territory_id: uuid.UUID | None,
    line: Timeline,
) -> Row:
    """The project of `plan`: active (completed once its award is closed, at times)."""
    company = holder(rng, number)
    nature = rng.choice(_NATURES[plan.fund])
    if plan.relocation and rng.random() < 0.5:
        nature = ProjectNature.RELOCATION
    start = (line.submitted or line.created).date() + timedelta(days=rng.randint(30, 300))
    completed = plan.status is S.CLOSED and rng.random() < 0.5
    return {
        "id": new_id(rng),
        "territory_id": territory_id,
        "status": "completed" if completed else "active",
        "title": f"{DEMO_PREFIX}Projet {number:06d} ({nature.value})",
        "description": _SYNTHETIC,
        "nature": nature,
        "priorities": sorted(rng.sample(list(Priority), rng.randint(1, 3))),
        "holder": company,
        "holder_siren": company["siren"],
        "site": {
            "siret": siret(rng, company["siren"]),
            "commune_insee": site.insee,
            "region_code": site.region,
            "admin_status": "A",
        },
        "site_region_code": site.region,
        "investment_total_cents": rng.randint(300, 20_000) * 100_000,
        "planned_start": start,
        "planned_end": start + timedelta(days=rng.randint(180, 720)),
        "jobs_created": plan.jobs_created,
        "jobs_maintained": int(rng.lognormvariate(3.5, 1.0)),
        "relocation": {
            "flag": plan.relocation,
            "from_country": rng.choice(_COUNTRIES) if plan.relocation else None,
        },
        "is_collective": False,
        "contacts": [],
        "submitted_at": line.created,
        "created_at": line.created - timedelta(days=10),
        "updated_at": line.created,
        "version": 1,
    }


def snapshot(project: Row) -> Row:
    """The project as frozen in its application at submission (`ProjectSnapshot`)."""
    return {
        "project_id": str(project["id"]),
        "version": 1,
        "territory_id": str(project["territory_id"]) if project["territory_id"] else None,
        "title": project["title"],
        "nature": project["nature"].value,
        "priorities": [p.value for p in project["priorities"]],
        "holder": HolderRead.model_validate(project["holder"]).model_dump(mode="json"),
        "site": project["site"],
        "investment_total_cents": project["investment_total_cents"],
        "planned_start": project["planned_start"].isoformat(),
        "planned_end": project["planned_end"].isoformat(),
        "jobs_created": project["jobs_created"],
        "jobs_maintained": project["jobs_maintained"],
        "relocation": project["relocation"],
        "is_collective": False,
    }


def application_row(rng: random.Random, plan: Plan, project: Row, fund: Any, line: Timeline) -> Row:
    """The application of `plan` (decision and award fields are set by `money`)."""
    requested = _requested(rng, plan.fund)
    base = requested * rng.randint(2, 5)
    equipment = base * rng.randint(50, 90) // 100
    submitted = line.submitted is not None
    return {
        "id": new_id(rng),
        "project_id": project["id"],
        "fund_id": fund.id,
        "territory_id": project["territory_id"],
        "operator_id": fund.operator_id,
        "region_code": project["site_region_code"],
        "status": plan.status,
        "applicant_siren": project["holder_siren"],
        "expense_holder_siren": None,
        "requested_amount_cents": requested,
        "eligible_expense_base_cents": base,
        "expense_lines": [
            {"category": "equipment", "amount_cents": equipment, "description": _SYNTHETIC},
            {"category": "energy_environment", "amount_cents": base - equipment},
        ],
        "aid_form": "subsidy",
        "prior_deminimis_cents": 0,
        "engagements": {"solidarites": ["Accueil d'apprentis"], "transition_ecologique": []},
        "attestations": {"tax_social_ok": True, "not_started": True, "not_in_difficulty": True},
        "territory_opinion": "favourable" if project["territory_id"] else None,
        "answers": {},
        "attachments": [],
        "project_snapshot": snapshot(project) if submitted else None,
        "submission_no": 1 if submitted else 0,
        "submitted_at": line.submitted,
        "created_by_key_id": None,
        "information_overdue_notified": False,
        "created_at": line.created,
        "updated_at": line.last or line.created,
        "version": 1,
    } | _review(rng, plan, fund, line)


def _requested(rng: random.Random, fund: str) -> int:
    """Euros, in cents: a few hundred thousand, capped per fund."""
    cap = 800_000 if fund == ECOLES else 1_500_000
    return min(max(int(rng.lognormvariate(12.9, 0.6)), 30_000), cap) // 1_000 * 100_000


def _review(rng: random.Random, plan: Plan, fund: Any, line: Timeline) -> Row:
    """Assignee, information request, the last decision (approvals are set by `money`)."""
    review: Row = {
        "assignee": None,
        "information_request": None,
        "information_due_on": None,
        "decision": None,
        "awarded_cents": None,
        "agreement": None,
    }
    if plan.status in (S.UNDER_REVIEW, S.INFORMATION_REQUESTED, S.REJECTED) or line.decided:
        review["assignee"] = f"{DEMO_PREFIX}chargé·e d'affaires {rng.randint(1, 40):02d}"
    if plan.status is S.PRESELECTED or (
        plan.status is S.UNDER_REVIEW and fund.regional_preselection
    ):
        review["decision"] = _decision("preselected", line.reviewed, comment=None)
    if plan.status is S.INFORMATION_REQUESTED and line.reviewed is not None:
        review |= _information_request(rng, line.reviewed)
    if plan.status is S.REJECTED and line.reviewed is not None:
        kind = "not_retained" if fund.regional_preselection and rng.random() < 0.4 else "rejected"
        review["decision"] = _decision(
            kind,
            line.reviewed,
            reason_code=rng.choice(list(ReasonCode)).value,
            reason_text=f"{DEMO_PREFIX}motif synthétique.",
        )
    return review


def _information_request(rng: random.Random, asked: datetime) -> Row:
    due = asked.date() + timedelta(days=rng.randint(15, 45))
    request = {
        "items": ["/expense_lines", "document:plan-de-financement"],
        "message": f"{DEMO_PREFIX}merci de préciser le plan de financement.",
        "due_on": due.isoformat(),
        "requested_at": asked.isoformat(),
        "answered_at": None,
        "answer": None,
    }
    return {"information_request": request, "information_due_on": due}


def _decision(kind: str, at: datetime | None, **fields: Any) -> Row:
    return {"kind": kind, "decided_at": at.isoformat() if at else None, **fields}


def day_of(moment: datetime | date) -> date:
    """The day of an instant (a day stays itself)."""
    return moment.date() if isinstance(moment, datetime) else moment
