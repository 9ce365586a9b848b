"""Lifecycle rules of projects and applications, driven by their transition tables.

Statuses the API cannot reach yet (screening results, instruction…) are set directly
in the database; every (status, action) pair offered by the API is then tried.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.applications.router import router as applications_router
from services.api.decisions.router import router as decisions_router
from services.api.projects.router import ACTIONS
from shared.applications import submission
from shared.applications.enums import ApplicationStatus
from shared.applications.models import Application
from shared.audit.models import AuditEntry
from shared.events.models import Event
from shared.projects.enums import ProjectStatus
from tests.fixtures.bodies import ALBI_COMMUNE, application_body, project_body, site_in
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.flows import Portal, fetch, if_match, update_row
from tests.fixtures.http import assert_problem, error_pointers

PROJECT_ACTIONS = sorted(ACTIONS)
APPLICATION_ACTIONS = sorted(
    route.path.rsplit("/", 1)[1]
    for router in (applications_router, decisions_router)
    for route in router.routes
    if "POST" in getattr(route, "methods", ())
    and route.path.count("/") == 4
    and "{application_id}" in route.path
    and not route.path.endswith("/rescore")
)
EVENT_OF_PROJECT_ACTION = {"submit": "project.submitted"}
EVENT_OF_APPLICATION_ACTION = {
    "submit": "application.submitted",
    "withdraw": "application.withdrawn",
    "preselect": "application.preselected",
    "not_retained": "application.not_retained",
    "start_review": "application.under_review",
    "request_information": "application.information_requested",
    "answer": "application.information_provided",
    "approve": "application.approved",
    "reject": "application.rejected",
    "sign_agreement": "application.agreement_signed",
    "record_payment": "application.payment_recorded",
    "close": "application.closed",
    "cancel": "application.cancelled",
}
NOT_NULL_PROJECT_FIELDS = (
    "title",
    "description",
    "nature",
    "priorities",
    "holder",
    "site",
    "investment_total_cents",
    "jobs_created",
    "jobs_maintained",
    "relocation",
    "is_collective",
    "contacts",
)
NOT_NULL_APPLICATION_FIELDS = (
    "applicant_siren",
    "expense_lines",
    "engagements",
    "attestations",
    "answers",
    "attachments",
)
QUESTIONS = {
    "type": "object",
    "properties": {
        "capacity_tonnes": {"type": "integer", "minimum": 0},
        "export_share": {"type": "number"},
    },
    "required": ["capacity_tonnes"],
}


# The lifecycles README.md describes ("Projects follow…", "Applications follow…", spelled
# out in domain.md), written by hand and never derived from shared/*/states.py, the tables
# under test: (status, action) → new status, for every action a key may take (the system's
# own moves, such as screening or expiry, are not offered to keys).
PROJECT_LIFECYCLE = {
    ("draft", "submit"): "submitted",
    ("draft", "withdraw"): "withdrawn",
    ("submitted", "return"): "draft",
    ("submitted", "accept"): "active",
    ("submitted", "reject"): "rejected",
    ("submitted", "withdraw"): "withdrawn",
    ("active", "complete"): "completed",
    ("active", "abandon"): "abandoned",
    ("active", "withdraw"): "withdrawn",
}
PROJECT_REASON_REQUIRED = {"return", "reject", "withdraw", "abandon"}
# (status, action) → (new status, who): the territory (applicant), the region (préfet de
# région and Région, preselection) or the fund's operator (instruction), for a fund with
# regional preselection (the acceleration fund). Funds without it go from eligible to
# instruction directly (`WITHOUT_PRESELECTION`).
APPLICATION_LIFECYCLE = {
    ("draft", "submit"): ("submitted", "territory"),
    ("undetermined", "reopen"): ("draft", "territory"),
    ("eligible", "preselect"): ("preselected", "region"),
    ("eligible", "not_retained"): ("rejected", "region"),
    ("preselected", "start_review"): ("under_review", "operator"),
    ("under_review", "request_information"): ("information_requested", "operator"),
    ("under_review", "approve"): ("approved", "operator"),
    ("under_review", "reject"): ("rejected", "operator"),
    ("information_requested", "answer"): ("under_review", "territory"),
    ("information_requested", "reject"): ("rejected", "operator"),
    ("approved", "sign_agreement"): ("agreement_signed", "operator"),
    ("agreement_signed", "record_payment"): ("funded", "operator"),
    ("funded", "record_payment"): ("funded", "operator"),
    ("funded", "close"): ("closed", "operator"),
    ("approved", "cancel"): ("cancelled", "operator"),
    ("agreement_signed", "cancel"): ("cancelled", "operator"),
    ("funded", "cancel"): ("cancelled", "operator"),
    **{
        (status, "withdraw"): ("withdrawn", "territory")  # any state before approval
        for status in (
            "draft", "submitted", "screening", "eligible", "undetermined", "screening_error",
            "preselected", "under_review", "information_requested",
        )
    },
}  # fmt: skip
WITHOUT_PRESELECTION = {
    **{k: v for k, v in APPLICATION_LIFECYCLE.items() if v[1] != "region"},
    ("eligible", "start_review"): ("under_review", "operator"),
}
DECISION_BODIES: dict[str, dict[str, Any]] = {
    "withdraw": {"reason": "Motif de l'action withdraw"},
    "not_retained": {"reason_code": "insufficient_maturity", "reason_text": "Trop tôt"},
    "reject": {"reason_code": "ineligible_on_review", "reason_text": "Inéligible"},
    "cancel": {"reason_code": "other", "reason_text": "Projet abandonné par l'entreprise"},
    "start_review": {"assignee": "DR Rennes"},
    "request_information": {
        "items": ["/expense_lines"],
        "message": "Devis ?",
        "due_on": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
    },
    "approve": {  # 100 k€ under de minimis (the body declares no prior aid)
        "amount_cents": 10_000_000,
        "aid_form": "subsidy",
        "regime": "de_minimis_2023_2831",
        "financer": "state",
    },
    "sign_agreement": {"signed_on": datetime.now(UTC).date().isoformat(), "reference": "C-1"},
    "record_payment": {
        "amount_cents": 1_000_000,
        "paid_on": datetime.now(UTC).date().isoformat(),
    },
}


def _allowed(
    lifecycle: dict[tuple[str, str], Any], status: str, who: str | None = None
) -> list[str]:
    """The actions a key may take from `status` (as `who` when the table names one), sorted
    as the API lists them."""
    return sorted(
        {
            action
            for (source, action), target in lifecycle.items()
            if source == status and (who is None or isinstance(target, str) or target[1] == who)
        }
    )


def test_the_hand_written_lifecycles_cover_every_status() -> None:
    statuses = {s for pair in PROJECT_LIFECYCLE for s in (pair[0], PROJECT_LIFECYCLE[pair])}
    assert statuses == {s.value for s in ProjectStatus}
    statuses = {
        s for pair in APPLICATION_LIFECYCLE for s in (pair[0], APPLICATION_LIFECYCLE[pair][0])
    }
    assert statuses | {"screening", "ineligible", "expired"} == {s.value for s in ApplicationStatus}


def test_the_api_offers_the_expected_lifecycle_actions() -> None:
    offered = {"projects": set(PROJECT_ACTIONS), "applications": set(APPLICATION_ACTIONS)}
    assert offered == {
        "projects": {"submit", "accept", "return", "reject", "withdraw", "complete", "abandon"},
        "applications": {
            "submit",
            "withdraw",
            "reopen",
            "preselect",
            "not_retained",
            "start_review",
            "request_information",
            "answer",
            "approve",
            "reject",
            "sign_agreement",
            "record_payment",
            "close",
            "cancel",
        },
    }


pytestmark = pytest.mark.usefixtures("open_fund_windows")


@pytest.fixture
async def key(make_territory: MakeTerritory, make_key: MakeKey) -> Key:
    territory = await make_territory("ti-pontivy")
    return await make_key("territory", territory_id=territory.id)


@pytest.fixture
def team(client: httpx.AsyncClient, key: Key) -> Portal:
    return Portal(client, key.secret)


@pytest.fixture
def admin(client: httpx.AsyncClient, admin_key: Key) -> Portal:
    return Portal(client, admin_key.secret)


@pytest.fixture
async def callers(
    client: httpx.AsyncClient, key: Key, make_key: MakeKey
) -> dict[str, tuple[Portal, Key]]:
    """The territory's key, the Brittany region's, and Bpifrance's (the fund's operator)."""
    region = await make_key("region", region_code="53")
    operator = await make_key("operator", operator_code="bpifrance")
    return {
        "territory": (Portal(client, key.secret), key),
        "region": (Portal(client, region.secret), region),
        "operator": (Portal(client, operator.secret), operator),
    }


_NOW = datetime.now(UTC)
ROUTE_CALLERS = {
    **dict.fromkeys(("submit", "withdraw", "reopen", "answer"), frozenset({"territory"})),
    **dict.fromkeys(("preselect", "not_retained"), frozenset({"region"})),
    **dict.fromkeys(
        (
            "start_review", "request_information", "approve", "reject", "sign_agreement",
            "record_payment", "close", "cancel",
        ),
        frozenset({"operator"}),
    ),
}  # fmt: skip
"""Which of the three keys each action route admits (admins: all)."""


async def _commit_award(
    sessionmaker: async_sessionmaker[AsyncSession], application_id: str
) -> None:
    """Commit 10 M€ for the application on the State envelope (as an approval does)."""
    async with sessionmaker() as session:
        await session.execute(
            text(
                "WITH envelope AS (UPDATE budget_envelopes e SET committed_cents = "
                "committed_cents + 1000000000 FROM funds f WHERE f.id = e.fund_id AND "
                "f.code = 'fonds-acceleration' AND e.financer = 'state' AND NOT EXISTS "
                "(SELECT FROM budget_commitments WHERE application_id = :application) "
                "RETURNING e.id) "
                "INSERT INTO budget_commitments (id, application_id, envelope_id, amount_cents) "
                "SELECT gen_random_uuid(), :application, id, 1000000000 FROM envelope"
            ),
            {"application": application_id},
        )
        await session.commit()


async def _draft_project(team: Portal, **overrides: Any) -> dict[str, Any]:
    response = await team.call("POST", "/v1/projects", json=project_body(**overrides), expect=201)
    return dict(response.json())


async def _audit(
    sessionmaker: async_sessionmaker[AsyncSession], subject_id: str, action: str
) -> list[AuditEntry]:
    async with sessionmaker() as session:
        return list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.subject_id == subject_id, AuditEntry.action == action)
                .order_by(AuditEntry.occurred_at)
            )
        )


async def _events(
    sessionmaker: async_sessionmaker[AsyncSession], subject_id: str, event_type: str | None = None
) -> list[Event]:
    statement = select(Event).where(Event.subject_id == uuid.UUID(subject_id))
    if event_type is not None:
        statement = statement.where(Event.type == event_type)
    async with sessionmaker() as session:
        return list(await session.scalars(statement.order_by(Event.position)))


async def _patch_fund(admin: Portal, code: str, changes: dict[str, Any]) -> httpx.Response:
    fund = await admin.call("GET", f"/v1/funds/{code}", expect=200)
    return await admin.call(
        "PATCH", f"/v1/funds/{code}", json=changes, headers={"If-Match": fund.headers["etag"]}
    )


def _nested_items(depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    for _ in range(depth):
        schema = {"items": schema}
    return schema


class TestProjectTransitions:
    @pytest.mark.parametrize("status", list(ProjectStatus))
    async def test_every_action_from_the_status_follows_the_table(
        self,
        status: ProjectStatus,
        team: Portal,
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        project = await _draft_project(team)
        url = f"/v1/projects/{project['id']}"
        for action in PROJECT_ACTIONS:
            await update_row(sessionmaker, "projects", project["id"], status=status.value)
            current = await fetch(team, "projects", project["id"])
            target = PROJECT_LIFECYCLE.get((status, action))
            if target is None:
                response = await team.call(
                    "POST", f"{url}/{action}", json={"reason": "essai"}, headers=if_match(current)
                )
                problem = assert_problem(response, 409)
                assert problem["type"].endswith("/invalid-transition"), (status, action)
                assert problem["allowed_actions"] == _allowed(PROJECT_LIFECYCLE, status)
                assert problem["current_status"] == status.value
                assert (await fetch(team, "projects", project["id"]))["version"] == current[
                    "version"
                ]
                continue
            if action in PROJECT_REASON_REQUIRED:
                for body in (None, {}, {"reason": None}, {"reason": "   "}):
                    response = await team.call(
                        "POST", f"{url}/{action}", json=body, headers=if_match(current)
                    )
                    problem = assert_problem(response, 422)
                    assert problem["type"].endswith("/reason-required"), (action, body)
                    assert error_pointers(problem) == {"/body/reason": "reason-required"}
                after = await fetch(team, "projects", project["id"])
                assert (after["status"], after["version"]) == (status, current["version"])
            reason = f"Motif de l'action {action}"
            response = await team.call(
                "POST", f"{url}/{action}", json={"reason": reason}, headers=if_match(current)
            )
            assert response.status_code == 200, (status, action, response.text)
            moved = response.json()
            assert moved["status"] == target
            assert moved["allowed_actions"] == _allowed(PROJECT_LIFECYCLE, target)
            assert response.headers["etag"] == f'"{moved["version"]}"'
            [entry] = await _audit(sessionmaker, project["id"], f"project.{action}")
            assert entry.actor_key_id == key.id
            assert entry.actor_role == "territory"
            assert entry.reason == reason
            assert entry.changes == {"status": {"from": status.value, "to": target}}
            event_type = EVENT_OF_PROJECT_ACTION.get(action, "project.status_changed")
            events = await _events(sessionmaker, project["id"], event_type)
            assert events[-1].data["status"] == target
            assert events[-1].data["previous_status"] == status.value
            assert events[-1].sequence == moved["version"]

    async def test_an_admin_drives_the_review_and_is_recorded_as_the_actor(
        self,
        team: Portal,
        admin: Portal,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        project = await team.act(await _draft_project(team), "projects", "submit")
        accepted = await admin.act(project, "projects", "accept", json={"reason": "Comité"})
        assert accepted["status"] == "active"
        [entry] = await _audit(sessionmaker, project["id"], "project.accept")
        assert (entry.actor_key_id, entry.actor_role, entry.reason) == (
            admin_key.id,
            "admin",
            "Comité",
        )


class TestApplicationTransitions:
    @pytest.mark.parametrize("status", list(ApplicationStatus))
    @pytest.mark.parametrize("who", ["territory", "region", "operator"])
    async def test_every_action_from_the_status_follows_the_table(
        self,
        status: ApplicationStatus,
        who: str,
        team: Portal,
        callers: dict[str, tuple[Portal, Key]],
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        application = await team.draft_application(await team.active_project())
        await update_row(sessionmaker, "applications", application["id"], submitted_at=_NOW)
        caller, key = callers[who]
        url = f"/v1/applications/{application['id']}"
        for action in APPLICATION_ACTIONS:
            if who not in ROUTE_CALLERS[action]:
                continue  # the route refuses the role itself (the auth matrix checks it)
            await update_row(sessionmaker, "applications", application["id"], status=status.value)
            current = await fetch(caller, "applications", application["id"])
            assert current["allowed_actions"] == _allowed(APPLICATION_LIFECYCLE, status, who)
            step = APPLICATION_LIFECYCLE.get((status, action))
            body = DECISION_BODIES.get(action)
            if action == "record_payment":
                await _commit_award(sessionmaker, application["id"])  # what payments draw on
            response = await caller.call(
                "POST", f"{url}/{action}", json=body, headers=if_match(current)
            )
            if step is None or step[1] != who:
                problem = assert_problem(response, 409)
                assert problem["type"].endswith("/invalid-transition"), (status, action)
                allowed = _allowed(APPLICATION_LIFECYCLE, status, who)
                assert problem["allowed_actions"] == allowed
                assert problem["current_status"] == status.value
                after = await fetch(caller, "applications", application["id"])
                assert after["version"] == current["version"]
                assert await _audit(sessionmaker, application["id"], f"application.{action}") == []
                continue
            target = step[0]
            assert response.status_code == 200, (status, action, response.text)
            moved = response.json()
            assert moved["status"] == target
            assert moved["allowed_actions"] == _allowed(APPLICATION_LIFECYCLE, target, who)
            assert response.headers["etag"] == f'"{moved["version"]}"'
            [entry] = await _audit(sessionmaker, application["id"], f"application.{action}")
            assert entry.actor_key_id == key.id
            assert entry.actor_role == who
            assert entry.changes["status"] == {"from": status.value, "to": target}
            events = await _events(sessionmaker, application["id"])
            if action not in EVENT_OF_APPLICATION_ACTION:
                assert events == [], (status, action)
                continue
            [event] = events
            assert event.type == EVENT_OF_APPLICATION_ACTION[action]
            assert event.data["status"] == target
            assert event.data["previous_status"] == status.value
            assert event.data["fund_code"] == "fonds-acceleration"
            assert event.sequence == moved["version"]
            async with sessionmaker() as session:
                await session.execute(text("DELETE FROM events"))
                await session.execute(text("DELETE FROM audit_entries"))
                await session.commit()

    async def test_a_fund_without_regional_preselection_goes_to_instruction_directly(
        self,
        team: Portal,
        callers: dict[str, tuple[Portal, Key]],
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        async with sessionmaker() as session:
            await session.execute(text("UPDATE funds SET regional_preselection = false"))
            await session.commit()
        application = await team.draft_application(await team.active_project())
        await update_row(
            sessionmaker, "applications", application["id"], status="eligible", submitted_at=_NOW
        )
        operator, _ = callers["operator"]
        current = await fetch(operator, "applications", application["id"])
        assert current["allowed_actions"] == _allowed(WITHOUT_PRESELECTION, "eligible", "operator")
        assert current["allowed_actions"] == ["start_review"]
        # The region has nothing to preselect: it does not even see the application.
        region, _ = callers["region"]
        response = await region.call("GET", f"/v1/applications/{application['id']}")
        assert_problem(response, 404)
        moved = await operator.act(
            current, "applications", "start_review", json=DECISION_BODIES["start_review"]
        )
        assert moved["status"] == "under_review"
        assert moved["assignee"] == "DR Rennes"

    async def test_withdrawing_a_submitted_application_announces_it(
        self, team: Portal, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        application = await team.draft_application(await team.active_project())
        submitted = await team.act(application, "applications", "submit")
        withdrawn = await team.act(
            submitted, "applications", "withdraw", json={"reason": "Projet reporté"}
        )
        assert withdrawn["status"] == "withdrawn"
        assert withdrawn["allowed_actions"] == []
        types = [e.type for e in await _events(sessionmaker, application["id"])]
        assert types == ["application.submitted", "application.withdrawn"]
        [entry] = await _audit(sessionmaker, application["id"], "application.withdraw")
        assert entry.reason == "Projet reporté"


class TestEditsOnlyWhileDraft:
    async def test_a_project_is_editable_only_as_a_draft_or_active(
        self, team: Portal, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        project = await _draft_project(team)
        editable, last = {ProjectStatus.DRAFT, ProjectStatus.ACTIVE}, ""
        for status in ProjectStatus:
            await update_row(sessionmaker, "projects", project["id"], status=status.value)
            current = await fetch(team, "projects", project["id"])
            response = await team.call(
                "PATCH",
                f"/v1/projects/{project['id']}",
                json={"description": f"Révision ({status.value})"},
                headers=if_match(current),
            )
            if status in editable:
                assert response.status_code == 200, response.text
                last = f"Révision ({status.value})"
                assert response.json()["description"] == last
                continue
            problem = assert_problem(response, 409)
            assert problem["type"].endswith("/project-not-editable"), status
            after = await fetch(team, "projects", project["id"])
            assert after["version"] == current["version"]
            assert after["description"] == last

    async def test_an_active_project_keeps_its_holders_siren(self, team: Portal) -> None:
        project = await team.active_project()
        holder = {**project["holder"], "in_difficulty": False}
        holder.pop("category", None)
        holder.pop("eu_size", None)
        completed = await team.call(
            "PATCH",
            f"/v1/projects/{project['id']}",
            json={"holder": holder},
            headers=if_match(project),
        )
        assert completed.status_code == 200, completed.text
        assert completed.json()["holder"]["in_difficulty"] is False
        renamed = await team.call(
            "PATCH",
            f"/v1/projects/{project['id']}",
            json={"holder": {**holder, "siren": "732829320"}},
            headers=if_match(completed.json()),
        )
        problem = assert_problem(renamed, 409)
        assert problem["type"].endswith("/project-not-editable")
        assert (await fetch(team, "projects", project["id"]))["holder"]["siren"] == holder["siren"]

    async def test_an_application_is_editable_only_as_a_draft(
        self, team: Portal, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        application = await team.draft_application(await team.active_project())
        for status in ApplicationStatus:
            await update_row(sessionmaker, "applications", application["id"], status=status.value)
            current = await fetch(team, "applications", application["id"])
            response = await team.call(
                "PATCH",
                f"/v1/applications/{application['id']}",
                json={"requested_amount_cents": 120_000_000},
                headers=if_match(current),
            )
            if status is ApplicationStatus.DRAFT:
                assert response.status_code == 200, response.text
                continue
            problem = assert_problem(response, 409)
            assert problem["type"].endswith("/application-not-editable"), status
            assert (await fetch(team, "applications", application["id"]))["version"] == current[
                "version"
            ]

    async def test_a_draft_edit_is_stored_audited_and_announced(
        self, team: Portal, key: Key, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        project = await _draft_project(team)
        changes = {
            "nature": "modernisation",
            "priorities": ["innovation", "foncier"],
            "title": "Modernisation de la verrerie",
            "site": site_in(ALBI_COMMUNE),
        }
        response = await team.call(
            "PATCH", f"/v1/projects/{project['id']}", json=changes, headers=if_match(project)
        )
        assert response.status_code == 200, response.text
        edited = response.json()
        assert {k: edited[k] for k in ("nature", "priorities", "title")} == {
            k: changes[k] for k in ("nature", "priorities", "title")
        }
        assert edited["site"]["region_code"] == "76"
        assert edited["version"] == project["version"] + 1
        [entry] = await _audit(sessionmaker, project["id"], "project.updated")
        assert entry.actor_key_id == key.id
        assert entry.changes["priorities"] == changes["priorities"]
        [event] = await _events(sessionmaker, project["id"], "project.updated")
        assert event.data["nature"] == "modernisation"
        assert event.data["priorities"] == ["innovation", "foncier"]
        assert event.data["region_code"] == "76"
        assert event.sequence == edited["version"]

    async def test_null_for_a_required_project_field_is_422(self, team: Portal) -> None:
        project = await _draft_project(team)
        for field in NOT_NULL_PROJECT_FIELDS:
            response = await team.call(
                "PATCH",
                f"/v1/projects/{project['id']}",
                json={field: None},
                headers=if_match(project),
            )
            problem = assert_problem(response, 422)
            assert error_pointers(problem) == {f"/body/{field}": "value_error"}, field
        assert (await fetch(team, "projects", project["id"]))["version"] == project["version"]

    async def test_null_for_a_required_application_field_is_422(self, team: Portal) -> None:
        application = await team.draft_application(await team.active_project())
        for field in NOT_NULL_APPLICATION_FIELDS:
            response = await team.call(
                "PATCH",
                f"/v1/applications/{application['id']}",
                json={field: None},
                headers=if_match(application),
            )
            problem = assert_problem(response, 422)
            assert error_pointers(problem) == {f"/body/{field}": "value_error"}, field
        after = await fetch(team, "applications", application["id"])
        assert after["version"] == application["version"]

    async def test_optional_fields_can_be_cleared_with_null(self, team: Portal) -> None:
        project = await _draft_project(team)
        response = await team.call(
            "PATCH",
            f"/v1/projects/{project['id']}",
            json={"planned_start": None, "planned_end": None},
            headers=if_match(project),
        )
        assert response.status_code == 200, response.text
        assert (response.json()["planned_start"], response.json()["planned_end"]) == (None, None)
        application = await team.draft_application(await team.active_project())
        cleared = {"aid_form": None, "territory_opinion": None, "requested_amount_cents": None}
        response = await team.call(
            "PATCH",
            f"/v1/applications/{application['id']}",
            json=cleared,
            headers=if_match(application),
        )
        assert response.status_code == 200, response.text
        assert {k: response.json()[k] for k in cleared} == cleared

    async def test_a_planned_end_before_the_stored_start_is_422(self, team: Portal) -> None:
        project = await _draft_project(team, planned_start="2027-03-01", planned_end=None)
        response = await team.call(
            "PATCH",
            f"/v1/projects/{project['id']}",
            json={"planned_end": "2027-02-28"},
            headers=if_match(project),
        )
        assert error_pointers(assert_problem(response, 422)) == {
            "/body/planned_end": "unprocessable"
        }


class TestApplyingToAFund:
    async def test_only_an_active_project_can_apply(
        self, team: Portal, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        project = await _draft_project(team)
        for status in sorted(ProjectStatus, key=lambda s: s is ProjectStatus.ACTIVE):
            await update_row(sessionmaker, "projects", project["id"], status=status.value)
            response = await team.call(
                "POST", "/v1/applications", json=application_body(project["id"])
            )
            if status is ProjectStatus.ACTIVE:
                assert response.status_code == 201, response.text
                continue
            problem = assert_problem(response, 409)
            assert problem["type"].endswith("/project-not-active"), status

    async def test_a_label_catalogue_takes_no_applications(self, team: Portal) -> None:
        project = await team.active_project()
        response = await team.call(
            "POST",
            "/v1/applications",
            json=application_body(project["id"], fund_code="sites-cles-en-main", aid_form="label"),
        )
        assert assert_problem(response, 409)["type"].endswith("/fund-not-accepting")

    @pytest.mark.parametrize("fund_status", ["closed", "draft", "archived"])
    async def test_a_fund_that_is_not_open_takes_no_applications(
        self, fund_status: str, team: Portal, admin: Portal
    ) -> None:
        project = await team.active_project()
        changed = await _patch_fund(admin, "fonds-vert-ti", {"status": fund_status})
        assert changed.status_code == 200, changed.text
        response = await team.call(
            "POST",
            "/v1/applications",
            json=application_body(project["id"], fund_code="fonds-vert-ti"),
        )
        problem = assert_problem(response, 409)
        assert problem["type"].endswith("/fund-not-accepting")
        assert fund_status in problem["detail"]

    async def test_an_unknown_fund_code_is_422(self, team: Portal) -> None:
        project = await team.active_project()
        response = await team.call(
            "POST", "/v1/applications", json=application_body(project["id"], fund_code="nope")
        )
        assert "/body/fund_code" in error_pointers(assert_problem(response, 422))

    async def test_one_open_application_per_project_and_fund_until_it_is_closed(
        self, team: Portal, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        project = await team.active_project()
        first = await team.draft_application(project)
        duplicate = await team.call(
            "POST", "/v1/applications", json=application_body(project["id"])
        )
        assert assert_problem(duplicate, 409)["type"].endswith("/duplicate-application")
        await team.draft_application(project, fund_code="fonds-vert-ti")
        await team.act(first, "applications", "withdraw", json={"reason": "Erreur de fonds"})
        latest = await team.draft_application(project)
        for closed in ("ineligible", "rejected", "closed", "expired"):
            await update_row(sessionmaker, "applications", latest["id"], status=closed)
            latest = await team.draft_application(project)
        async with sessionmaker() as session:
            rows = await session.scalar(
                text("SELECT count(*) FROM applications WHERE project_id = :p"),
                {"p": project["id"]},
            )
        assert rows == 7


class TestAmountsAndAidForms:
    async def test_requested_above_the_eligible_base_is_422(self, team: Portal) -> None:
        project = await team.active_project()
        response = await team.call(
            "POST",
            "/v1/applications",
            json=application_body(
                project["id"], requested_amount_cents=500, eligible_expense_base_cents=499
            ),
        )
        assert_problem(response, 422)
        application = await team.draft_application(project)
        response = await team.call(
            "PATCH",
            f"/v1/applications/{application['id']}",
            json={"requested_amount_cents": application["eligible_expense_base_cents"] + 1},
            headers=if_match(application),
        )
        problem = assert_problem(response, 422)
        assert problem["type"].endswith("/amount-not-allowed")
        assert "/body/requested_amount_cents" in error_pointers(problem)

    async def test_requested_above_the_funds_cap_is_422(self, team: Portal) -> None:
        project = await team.active_project()
        school = {
            "fund_code": "ecoles-de-production",
            "aid_form": "engineering",
            "eligible_expense_base_cents": 200_000_000,
        }
        response = await team.call(
            "POST",
            "/v1/applications",
            json=application_body(project["id"], requested_amount_cents=80_000_001, **school),
        )
        problem = assert_problem(response, 422)
        assert problem["type"].endswith("/amount-not-allowed")
        assert "80000000" in problem["detail"]
        at_cap = await team.draft_application(project, requested_amount_cents=80_000_000, **school)
        response = await team.call(
            "PATCH",
            f"/v1/applications/{at_cap['id']}",
            json={"requested_amount_cents": 80_000_001},
            headers=if_match(at_cap),
        )
        assert assert_problem(response, 422)["type"].endswith("/amount-not-allowed")

    async def test_an_aid_form_the_fund_does_not_offer_is_422(self, team: Portal) -> None:
        project = await team.active_project()
        response = await team.call(
            "POST", "/v1/applications", json=application_body(project["id"], aid_form="loan")
        )
        problem = assert_problem(response, 422)
        assert error_pointers(problem) == {"/body/aid_form": "unprocessable"}
        assert "subsidy" in problem["detail"]
        application = await team.draft_application(project)
        response = await team.call(
            "PATCH",
            f"/v1/applications/{application['id']}",
            json={"aid_form": "engineering"},
            headers=if_match(application),
        )
        assert error_pointers(assert_problem(response, 422)) == {"/body/aid_form": "unprocessable"}
        school = await team.draft_application(
            project,
            fund_code="ecoles-de-production",
            aid_form="engineering",
            requested_amount_cents=5_000_000,
        )
        assert school["aid_form"] == "engineering"


class TestFundQuestions:
    @pytest.fixture
    async def questions(self, admin: Portal) -> None:
        response = await _patch_fund(admin, "fonds-acceleration", {"question_schema": QUESTIONS})
        assert response.status_code == 200, response.text

    @pytest.mark.usefixtures("questions")
    async def test_answers_of_the_wrong_type_are_422_with_their_pointer(self, team: Portal) -> None:
        project = await team.active_project()
        response = await team.call(
            "POST",
            "/v1/applications",
            json=application_body(project["id"], answers={"capacity_tonnes": "beaucoup"}),
        )
        assert "/body/answers/capacity_tonnes" in error_pointers(assert_problem(response, 422))
        application = await team.draft_application(project, answers={"capacity_tonnes": 12})
        response = await team.call(
            "PATCH",
            f"/v1/applications/{application['id']}",
            json={"answers": {"capacity_tonnes": 3, "export_share": "un tiers"}},
            headers=if_match(application),
        )
        assert "/body/answers/export_share" in error_pointers(assert_problem(response, 422))

    @pytest.mark.usefixtures("questions")
    async def test_a_missing_required_answer_is_allowed_in_a_draft_but_blocks_submission(
        self, team: Portal
    ) -> None:
        draft = await team.draft_application(await team.active_project(), answers={})
        report = (
            await team.call("GET", f"/v1/applications/{draft['id']}/completeness", expect=200)
        ).json()
        assert report["complete"] is False
        [missing] = [item for item in report["missing"] if item["required"]]
        assert missing["pointer"] == "/answers"
        assert "capacity_tonnes" in missing["detail"]
        response = await team.call(
            "POST", f"/v1/applications/{draft['id']}/submit", headers=if_match(draft)
        )
        problem = assert_problem(response, 422)
        assert problem["type"].endswith("/incomplete-application")
        assert [m["pointer"] for m in problem["missing"]] == ["/answers"]
        response = await team.call(
            "PATCH",
            f"/v1/applications/{draft['id']}",
            json={"answers": {"capacity_tonnes": 12_000}},
            headers=if_match(draft),
        )
        assert response.status_code == 200, response.text
        submitted = await team.act(response.json(), "applications", "submit")
        assert submitted["status"] == "submitted"

    @pytest.mark.parametrize(
        "schema",
        [
            {"type": "array"},
            {"type": "object", "properties": {"x": {"type": "nope"}}},
            {"properties": {"x": {"type": "integer"}}},
            {"type": "object", "properties": {"x": _nested_items(300)}},
            {"type": "object", "properties": {"x": {"type": "string", "pattern": "\ud800"}}},
            {"type": "object", "properties": {"x": {"type": "number", "maximum": float("nan")}}},
        ],
        ids=["array", "unknown-type", "untyped", "too-deep", "lone-surrogate", "nan"],
    )
    async def test_an_invalid_question_schema_is_422_and_leaves_the_fund_alone(
        self, schema: dict[str, Any], admin: Portal
    ) -> None:
        before = (await admin.call("GET", "/v1/funds/fonds-acceleration", expect=200)).json()
        response = await admin.call(
            "PATCH",
            "/v1/funds/fonds-acceleration",
            content=json.dumps({"question_schema": schema}).encode(),
            headers={"If-Match": f'"{before["version"]}"', "Content-Type": "application/json"},
        )
        problem = assert_problem(response, 422)
        assert problem["type"].endswith("/validation-failed")
        assert problem["errors"], problem
        assert all(e["pointer"] in {"/body", "/body/question_schema"} for e in problem["errors"])
        after = (await admin.call("GET", "/v1/funds/fonds-acceleration", expect=200)).json()
        assert after["version"] == before["version"]
        assert after["question_schema"] is None


class TestFreeFormAnswers:
    """Answers without a question schema are any JSON document: numbers come back exact."""

    async def test_numbers_at_the_edges_of_64_bits_come_back_exact(self, team: Portal) -> None:
        answers = {"big": 2**63 - 1, "small": -(2**63), "ratio": 0.1, "nested": [{"n": 10**15}]}
        draft = await team.draft_application(await team.active_project(), answers=answers)
        read = await team.call("GET", f"/v1/applications/{draft['id']}", expect=200)
        assert read.json()["answers"] == answers

    @pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**40])
    async def test_an_integer_beyond_64_bits_is_422_at_its_pointer(
        self, team: Portal, number: int
    ) -> None:
        project = await team.active_project()
        body = application_body(project["id"], answers={"levels": [1, {"deep": number}]})
        response = await team.call("POST", "/v1/applications", json=body)
        problem = assert_problem(response, 422)
        assert "/body/answers" in error_pointers(problem)
        assert "64 bits" in json.dumps(problem)


class TestSubmissionSnapshot:
    async def test_later_changes_to_the_project_leave_the_snapshot_as_submitted(
        self, team: Portal, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        project = await team.active_project()
        submitted = await team.act(await team.draft_application(project), "applications", "submit")
        snapshot = submitted["project_snapshot"]
        assert snapshot["title"] == project["title"]
        assert snapshot["version"] == project["version"]
        assert snapshot["investment_total_cents"] == project["investment_total_cents"]

        await update_row(sessionmaker, "projects", project["id"], status="draft")
        current = await fetch(team, "projects", project["id"])
        changes = {
            "title": "Projet entièrement revu",
            "investment_total_cents": 1,
            "jobs_created": 0,
            "priorities": ["innovation"],
        }
        edited = await team.call(
            "PATCH",
            f"/v1/projects/{project['id']}",
            json=changes,
            headers=if_match(current),
            expect=200,
        )
        assert edited.json()["title"] == changes["title"]

        after = await fetch(team, "applications", submitted["id"])
        assert after["project_snapshot"] == snapshot
        async with sessionmaker() as session:
            stored = await session.get_one(Application, uuid.UUID(submitted["id"]))
        assert stored.project_snapshot is not None
        assert stored.project_snapshot["title"] == project["title"]


class TestExpiry:
    async def test_drafts_of_a_fund_whose_window_closed_expire_and_nothing_else_moves(
        self,
        team: Portal,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        first, second = await team.active_project(), await team.active_project()
        due = await team.draft_application(first)
        submitted = await team.act(await team.draft_application(second), "applications", "submit")
        other_fund = await team.draft_application(first, fund_code="fonds-vert-ti")
        now = datetime.now(UTC)
        async with sessionmaker() as session:
            await session.execute(
                text(
                    "UPDATE funds SET opens_at = :opens, closes_at = :closes "
                    "WHERE code = 'fonds-acceleration'"
                ),
                {"opens": now - timedelta(days=60), "closes": now - timedelta(seconds=1)},
            )
            await session.commit()

        async with sessionmaker() as session:
            expired = await submission.expire_due_drafts(session)
            await session.commit()

        assert expired == 1
        statuses = {
            name: (await fetch(team, "applications", record["id"]))["status"]
            for name, record in {
                "due": due,
                "submitted": submitted,
                "other_fund": other_fund,
            }.items()
        }
        assert statuses == {"due": "expired", "submitted": "submitted", "other_fund": "draft"}
        [event] = await _events(sessionmaker, due["id"])
        assert event.type == "application.expired"
        assert (event.data["status"], event.data["previous_status"]) == ("expired", "draft")
        [entry] = await _audit(sessionmaker, due["id"], "application.expire")
        assert entry.actor_key_id is None
        assert entry.reason
        assert await _events(sessionmaker, other_fund["id"]) == []

        async with sessionmaker() as session:
            assert await submission.expire_due_drafts(session) == 0
            await session.commit()
