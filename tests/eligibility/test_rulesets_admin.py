"""Ruleset administration: drafts, validation, dry-runs and publication (admins only)."""

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from shared.eligibility.models import RulesetVersion
from shared.events.models import Event
from shared.principal import Role
from tests.eligibility.ruleset_flows import NEXT, SHIPPED, create_draft, publish, scored_friche
from tests.fixtures.bodies import excluding_industrial_sites, friches_document
from tests.fixtures.builders import Key, MakeKey
from tests.fixtures.flows import nothing_written
from tests.fixtures.http import assert_problem, error_pointers

pytestmark = pytest.mark.usefixtures("open_fund_windows")
RULESETS = "/v1/funds/fonds-friches/rulesets"


class TestCreateDraft:
    async def test_stores_the_next_version_as_a_draft(
        self, portal: Any, admin_key: Key, session: AsyncSession
    ) -> None:
        document = friches_document(area_full_score_ha=20)
        document["version"] = 7  # assigned by the server

        draft, etag = await create_draft(portal(admin_key.secret), document)

        assert (draft["version"], draft["status"], draft["published_at"]) == (NEXT, "draft", None)
        assert draft["definition"]["version"] == NEXT
        assert draft["definition"]["params"]["area_full_score_ha"] == 20
        assert etag.strip('"').isdigit()
        stored = await session.scalar(
            select(RulesetVersion).where(RulesetVersion.id == uuid.UUID(draft["id"]))
        )
        assert stored is not None
        assert stored.definition == draft["definition"]

    async def test_an_unknown_context_path_is_422_at_its_pointer(
        self, portal: Any, admin_key: Key, sessionmaker: Any
    ) -> None:
        document = friches_document()
        document["criteria"][2]["expr"] = {
            "op": "gte",
            "left": {"op": "field", "path": "project.no_such_input"},
            "right": 3,
        }

        async with nothing_written(sessionmaker):
            response = await portal(admin_key.secret).call(
                "POST", RULESETS, json=document, expect=422
            )

        pointers = error_pointers(assert_problem(response, 422))
        assert pointers["/body/criteria/2/expr"] == "ruleset_invalid"

    async def test_structural_faults_point_into_the_document_not_at_union_tags(
        self, portal: Any, admin_key: Key, sessionmaker: Any
    ) -> None:
        document = friches_document()
        document["criteria"][1]["expr"] = {"op": "eq", "left": {"op": "field"}, "right": True}
        document["criteria"][12]["points"] = 5

        async with nothing_written(sessionmaker):
            response = await portal(admin_key.secret).call(
                "POST", RULESETS, json=document, expect=422
            )

        pointers = error_pointers(response.json())
        assert pointers == {"/body/criteria/1/expr/left/path": "missing"}

    async def test_points_that_do_not_add_up_point_at_max_score(
        self, portal: Any, admin_key: Key, sessionmaker: Any
    ) -> None:
        document = friches_document()
        document["criteria"][12]["points"] = 5

        async with nothing_written(sessionmaker):
            response = await portal(admin_key.secret).call(
                "POST", RULESETS, json=document, expect=422
            )

        assert error_pointers(response.json()) == {"/body/max_score": "ruleset_points_total"}

    async def test_a_document_of_another_fund_is_422(
        self, portal: Any, admin_key: Key, sessionmaker: Any
    ) -> None:
        document = friches_document()

        async with nothing_written(sessionmaker):
            response = await portal(admin_key.secret).call(
                "POST", "/v1/funds/fonds-vert-ti/rulesets", json=document, expect=422
            )

        assert error_pointers(response.json()) == {"/body/fund_code": "ruleset-fund-mismatch"}

    @pytest.mark.parametrize("role", [Role.TERRITORY, Role.OPERATOR, Role.OBSERVER])
    async def test_only_admins_may(
        self,
        portal: Any,
        make_key: MakeKey,
        territory_key: tuple[Any, Key],
        sessionmaker: Any,
        role: Role,
    ) -> None:
        territory, _ = territory_key
        key = await make_key(
            role,
            territory_id=territory.id if role is Role.TERRITORY else None,
            operator_code="etat" if role is Role.OPERATOR else None,
        )
        async with nothing_written(sessionmaker):
            await portal(key.secret).call("POST", RULESETS, json=friches_document(), expect=403)
            await portal(key.secret).call("GET", RULESETS, expect=403)


class TestReadAndReplace:
    async def test_lists_latest_first_and_reads_one_with_its_etag(
        self, portal: Any, admin_key: Key
    ) -> None:
        p = portal(admin_key.secret)
        _, etag = await create_draft(p, friches_document())

        listed = (await p.call("GET", RULESETS, expect=200)).json()["items"]
        one = await p.call("GET", f"{RULESETS}/{NEXT}", expect=200)

        assert [(v["version"], v["status"]) for v in listed] == [(NEXT, "draft")] + [
            (version, "published") for version in range(SHIPPED, 0, -1)
        ]
        assert "definition" not in listed[0]
        assert one.headers["etag"] == etag
        await p.call("GET", f"{RULESETS}/9", expect=404)

    async def test_replace_needs_the_current_etag(
        self, portal: Any, admin_key: Key, sessionmaker: Any
    ) -> None:
        p = portal(admin_key.secret)
        _, etag = await create_draft(p, friches_document())
        changed = friches_document(area_full_score_ha=30)

        async with nothing_written(sessionmaker):
            await p.call("PUT", f"{RULESETS}/{NEXT}", json=changed, expect=428)
            await p.call(
                "PUT", f"{RULESETS}/{NEXT}", json=changed, headers={"If-Match": '"1"'}, expect=412
            )
        replaced = await p.call(
            "PUT", f"{RULESETS}/{NEXT}", json=changed, headers={"If-Match": etag}, expect=200
        )

        assert replaced.json()["definition"]["params"]["area_full_score_ha"] == 30
        assert replaced.json()["definition"]["version"] == NEXT
        assert replaced.headers["etag"] != etag
        async with nothing_written(sessionmaker):
            await p.call(
                "PUT", f"{RULESETS}/{NEXT}", json=changed, headers={"If-Match": etag}, expect=412
            )

    async def test_a_published_version_is_immutable(
        self, portal: Any, admin_key: Key, sessionmaker: Any
    ) -> None:
        p = portal(admin_key.secret)
        etag = (await p.call("GET", f"{RULESETS}/1", expect=200)).headers["etag"]

        async with nothing_written(sessionmaker):
            response = await p.call(
                "PUT",
                f"{RULESETS}/1",
                json=friches_document(),
                headers={"If-Match": etag},
                expect=409,
            )

        assert response.json()["type"].endswith("/ruleset-published")

    async def test_validate_reports_counts_of_a_valid_version(
        self, portal: Any, admin_key: Key
    ) -> None:
        response = await portal(admin_key.secret).call("POST", f"{RULESETS}/1/validate", expect=200)

        assert response.json() == {
            "fund_code": "fonds-friches",
            "version": 1,
            "valid": True,
            "errors": [],
            "gates": 10,
            "scores": 6,
            "points_total": 100,
        }

    async def test_validate_locates_the_faults_of_a_stored_draft(
        self, portal: Any, admin_key: Key, sessionmaker: Any
    ) -> None:
        p = portal(admin_key.secret)
        await create_draft(p, friches_document())
        broken = friches_document()
        broken["version"] = NEXT
        broken["criteria"][0]["expr"] = {"op": "field", "path": "project.gone"}
        async with sessionmaker() as session:
            version = await session.scalar(
                select(RulesetVersion).where(RulesetVersion.version == NEXT)
            )
            version.definition = broken  # as if the engine had changed since
            await session.commit()

        report = (await p.call("POST", f"{RULESETS}/{NEXT}/validate", expect=200)).json()

        assert report["valid"] is False
        assert "/criteria/0/expr" in {e["pointer"] for e in report["errors"]}
        etag = (await p.call("GET", f"{RULESETS}/{NEXT}", expect=200)).headers["etag"]
        async with nothing_written(sessionmaker):
            refused = await p.call(
                "POST", f"{RULESETS}/{NEXT}/publish", headers={"If-Match": etag}, expect=422
            )
        assert refused.json()["type"].endswith("/ruleset-invalid")


class TestPublish:
    async def test_publishes_announces_and_audits(
        self, portal: Any, admin_key: Key, session: AsyncSession, sessionmaker: Any
    ) -> None:
        admin = portal(admin_key.secret)
        _draft, etag = await create_draft(admin, excluding_industrial_sites())

        async with nothing_written(sessionmaker):
            await admin.call("POST", f"{RULESETS}/{NEXT}/publish", expect=428)
        published = await publish(admin, "fonds-friches", NEXT, etag)

        assert published["status"] == "published"
        assert published["published_at"] is not None
        event = await session.scalar(select(Event).where(Event.type == "fund.ruleset_published"))
        assert event is not None
        data = event.data or {}
        assert data["fund_code"] == "fonds-friches"
        assert (data["ruleset_version"], data["previous_version"]) == (NEXT, SHIPPED)
        assert data["sequence"] == NEXT
        assert data["url"] == "/v1/funds/fonds-friches"
        actions = set(
            (
                await session.scalars(
                    select(AuditEntry.action).where(AuditEntry.subject_type == "fund")
                )
            ).all()
        )
        assert {"fund.ruleset_draft_created", "fund.ruleset_published"} <= actions
        current = (await admin.call("GET", f"{RULESETS}/{NEXT}")).headers["etag"]
        async with nothing_written(sessionmaker):
            again = await admin.call(
                "POST", f"{RULESETS}/{NEXT}/publish", headers={"If-Match": current}, expect=409
            )
        assert again.json()["type"].endswith("/ruleset-published")

    async def test_new_submissions_are_scored_under_the_published_version(
        self, portal: Any, admin_key: Key, territory_key: tuple[Any, Key], sessionmaker: Any
    ) -> None:
        admin = portal(admin_key.secret)
        _, etag = await create_draft(admin, excluding_industrial_sites())
        await publish(admin, "fonds-friches", NEXT, etag)
        _, key = territory_key
        p = portal(key.secret)

        application = await scored_friche(p, sessionmaker, former_use="industrial")

        latest = (
            await p.call("GET", f"/v1/applications/{application['id']}/assessments", expect=200)
        ).json()["items"][0]
        assert (latest["ruleset_version"], latest["outcome"]) == (NEXT, "ineligible")
        assert latest["failed_gates"] == ["F03_not_agricultural_or_forest"]

    async def test_a_draft_below_the_published_version_is_refused(
        self, portal: Any, admin_key: Key, sessionmaker: Any
    ) -> None:
        admin = portal(admin_key.secret)
        _, lower = await create_draft(admin, friches_document())
        _, higher = await create_draft(admin, excluding_industrial_sites())
        await publish(admin, "fonds-friches", NEXT + 1, higher)

        async with nothing_written(sessionmaker):
            response = await admin.call(
                "POST", f"{RULESETS}/{NEXT}/publish", headers={"If-Match": lower}, expect=409
            )

        assert response.json()["type"].endswith("/ruleset-superseded")
