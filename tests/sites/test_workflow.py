"""A territory proposes a site in one of its communes and edits it until it is labelled;
the State (admin keys) labels it with its vintage or refuses it with a reason; every step
audited, versions checked (If-Match)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.fixtures.flows import if_match, nothing_written
from tests.fixtures.http import assert_problem, error_pointers
from tests.sites.conftest import ALBI, NOYAL_PONTIVY, PONTIVY, Keys, create, site_body

TODAY = datetime.now(UTC).date()


class TestCreateSite:
    async def test_territory_creates_a_draft_in_its_commune(self, keys: Keys) -> None:
        response = await keys["territory"].call("POST", "/v1/sites", json=site_body(), expect=201)
        site = response.json()
        assert response.headers["ETag"] == '"1"'
        assert response.headers["Location"] == f"/v1/sites/{site['id']}"
        assert site["status"] == "draft"
        assert site["territory_id"] == keys.ids["territory"]
        assert (site["commune_insee"], site["department_code"], site["region_code"]) == (
            "56178",
            "56",
            "53",
        )
        assert site["coordinates"] == {"latitude": PONTIVY[1], "longitude": PONTIVY[2]}
        assert site["procedures"] == {
            "urban_planning": "2021-03-15",
            "environmental_authorisation": None,
            "archaeology_diagnosis": "2020-11-20",
            "biodiversity_inventory": None,
        }
        assert site["services"] == {
            "rail": True,
            "road": True,
            "power_mva": 12.0,
            "water_m3_per_day": None,
        }
        assert site["allowed_actions"] == ["propose"]
        assert site["label_vintage"] is None
        assert site["distance_km"] is None

    async def test_a_retried_creation_returns_the_first_site(self, keys: Keys) -> None:
        headers = {"Idempotency-Key": "site-kerjean-1"}
        first = await keys["territory"].call(
            "POST", "/v1/sites", json=site_body(), headers=headers, expect=201
        )
        again = await keys["territory"].call(
            "POST", "/v1/sites", json=site_body(), headers=headers, expect=201
        )
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        listed = await keys["territory"].call("GET", "/v1/sites", expect=200)
        assert len(listed.json()["items"]) == 1

    async def test_area_is_kept_to_the_hundredth(self, keys: Keys) -> None:
        site = await create(keys["territory"], area_ha=12.345)
        assert site["area_ha"] == 12.35
        again = await keys["territory"].call("GET", f"/v1/sites/{site['id']}", expect=200)
        assert again.json()["area_ha"] == 12.35

    async def test_a_commune_outside_the_territory_is_422(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        async with nothing_written(sessionmaker):
            response = await keys["territory"].call("POST", "/v1/sites", json=site_body(ALBI))
        problem = assert_problem(response, 422)
        assert problem["type"].endswith("/commune-outside-territory")
        assert error_pointers(problem) == {"/body/commune_insee": "commune-outside-territory"}

    async def test_an_unknown_commune_is_422(self, keys: Keys) -> None:
        body = site_body(commune_insee="56999")
        problem = assert_problem(await keys["territory"].call("POST", "/v1/sites", json=body), 422)
        assert problem["type"].endswith("/unknown-reference")
        assert "/body/commune_insee" in error_pointers(problem)

    async def test_another_territorys_id_is_403(self, keys: Keys) -> None:
        body = site_body(territory_id=keys.ids["other_territory"])
        problem = assert_problem(await keys["territory"].call("POST", "/v1/sites", json=body), 403)
        assert "/body/territory_id" in error_pointers(problem)

    async def test_admin_names_the_territory_and_its_commune(self, keys: Keys) -> None:
        missing = await keys["admin"].call("POST", "/v1/sites", json=site_body())
        assert "/body/territory_id" in error_pointers(assert_problem(missing, 422))
        outside = site_body(NOYAL_PONTIVY, territory_id=keys.ids["other_territory"])
        assert_problem(await keys["admin"].call("POST", "/v1/sites", json=outside), 422)
        site = await create(keys["admin"], territory_id=keys.ids["other_territory"], **_albi())
        assert site["territory_id"] == keys.ids["other_territory"]
        assert site["region_code"] == "76"

    @pytest.mark.parametrize(
        ("change", "pointer"),
        [
            ({"area_ha": 0}, "/body/area_ha"),
            ({"area_ha": "12"}, "/body/area_ha"),
            ({"land_control": "leased"}, "/body/land_control"),
            ({"coordinates": {"latitude": 95, "longitude": 0}}, "/body/coordinates/latitude"),
            ({"coordinates": {"latitude": 48.0}}, "/body/coordinates/longitude"),
            ({"services": {"rail": 1}}, "/body/services/rail"),
            ({"procedures": {"urban_planning": 20210315}}, "/body/procedures/urban_planning"),
            ({"commune_insee": "5617"}, "/body/commune_insee"),
            ({"surface": 3}, "/body/surface"),
        ],
    )
    async def test_invalid_fields_are_422_with_their_path(
        self, keys: Keys, change: dict[str, object], pointer: str
    ) -> None:
        body = site_body() | change
        problem = assert_problem(await keys["territory"].call("POST", "/v1/sites", json=body), 422)
        assert pointer in error_pointers(problem), problem

    async def test_a_procedure_dated_after_today_is_422(self, keys: Keys) -> None:
        tomorrow = (TODAY + timedelta(days=1)).isoformat()
        body = site_body(procedures={"biodiversity_inventory": tomorrow})
        problem = assert_problem(await keys["territory"].call("POST", "/v1/sites", json=body), 422)
        assert problem["type"].endswith("/date-out-of-range")
        assert "/body/procedures/biodiversity_inventory" in error_pointers(problem)

    @pytest.mark.usefixtures("pontivy_centre")
    async def test_without_coordinates_the_site_is_at_its_communes_centre(self, keys: Keys) -> None:
        site = await create(keys["territory"], coordinates=None)
        assert site["coordinates"] == {"latitude": PONTIVY[1], "longitude": PONTIVY[2]}

    async def test_without_coordinates_nor_a_known_centre_it_has_none(self, keys: Keys) -> None:
        site = await create(keys["territory"], commune_insee=NOYAL_PONTIVY[0], coordinates=None)
        assert site["coordinates"] is None

    async def test_roles_that_do_not_propose_are_403(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        for who in ("region", "operator", "observer"):
            async with nothing_written(sessionmaker):
                response = await keys[who].call("POST", "/v1/sites", json=site_body())
            assert_problem(response, 403)


class TestUpdateSite:
    async def test_the_territory_edits_its_draft_with_if_match(self, keys: Keys) -> None:
        site = await create(keys["territory"])
        response = await keys["territory"].call(
            "PATCH",
            f"/v1/sites/{site['id']}",
            json={"area_ha": 35.5, "land_control": "mixed", "services": {"water_m3_per_day": 800}},
            headers=if_match(site),
            expect=200,
        )
        changed = response.json()
        assert response.headers["ETag"] == '"2"'
        assert (changed["area_ha"], changed["land_control"]) == (35.5, "mixed")
        assert changed["services"] == {
            "rail": False,
            "road": False,
            "power_mva": None,
            "water_m3_per_day": 800.0,
        }
        assert changed["name"] == site["name"]

    async def test_a_new_commune_moves_the_site_to_its_place(self, keys: Keys) -> None:
        site = await create(keys["territory"])
        coordinates = {"latitude": NOYAL_PONTIVY[1], "longitude": NOYAL_PONTIVY[2]}
        body = {"commune_insee": NOYAL_PONTIVY[0], "coordinates": coordinates}
        response = await keys["territory"].call(
            "PATCH", f"/v1/sites/{site['id']}", json=body, headers=if_match(site), expect=200
        )
        assert response.json()["commune_insee"] == NOYAL_PONTIVY[0]
        assert response.json()["coordinates"] == coordinates
        outside = await keys["territory"].call(
            "PATCH",
            f"/v1/sites/{site['id']}",
            json={"commune_insee": ALBI[0]},
            headers=if_match(response.json()),
        )
        assert "/body/commune_insee" in error_pointers(assert_problem(outside, 422))

    @pytest.mark.usefixtures("pontivy_centre")
    async def test_null_coordinates_put_it_back_at_the_communes_centre(self, keys: Keys) -> None:
        site = await create(keys["territory"], coordinates={"latitude": 48.1, "longitude": -2.9})
        response = await keys["territory"].call(
            "PATCH",
            f"/v1/sites/{site['id']}",
            json={"coordinates": None},
            headers=if_match(site),
            expect=200,
        )
        assert response.json()["coordinates"] == {"latitude": PONTIVY[1], "longitude": PONTIVY[2]}

    async def test_without_if_match_428_and_stale_412(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        site = await create(keys["territory"])
        path = f"/v1/sites/{site['id']}"
        async with nothing_written(sessionmaker):
            assert_problem(await keys["territory"].call("PATCH", path, json={"name": "X"}), 428)
        await keys["territory"].call(
            "PATCH", path, json={"name": "Y"}, headers=if_match(site), expect=200
        )
        async with nothing_written(sessionmaker):
            stale = await keys["territory"].call(
                "PATCH", path, json={"name": "Z"}, headers=if_match(site)
            )
        assert_problem(stale, 412)

    async def test_null_for_a_required_field_is_422(self, keys: Keys) -> None:
        site = await create(keys["territory"])
        response = await keys["territory"].call(
            "PATCH", f"/v1/sites/{site['id']}", json={"area_ha": None}, headers=if_match(site)
        )
        assert "/body/area_ha" in error_pointers(assert_problem(response, 422))


class TestLifecycle:
    async def test_proposed_then_labelled_then_frozen(self, keys: Keys) -> None:
        team, admin = keys["territory"], keys["admin"]
        site = await team.act(await create(team), "sites", "propose")
        assert site["status"] == "proposed"
        assert site["allowed_actions"] == ["withdraw"]
        as_admin = (await admin.call("GET", f"/v1/sites/{site['id']}", expect=200)).json()
        assert as_admin["allowed_actions"] == ["label", "refuse", "withdraw"]
        label = await team.call(
            "POST",
            f"/v1/sites/{site['id']}/label",
            json={"vintage": 2024},
            headers=if_match(site),
        )
        assert_problem(label, 403)
        site = await admin.act(site, "sites", "label", json={"vintage": 2024})
        assert (site["status"], site["label_vintage"]) == ("labelled", 2024)
        assert site["labelled_at"] is not None
        assert site["allowed_actions"] == []
        frozen = await team.call(
            "PATCH", f"/v1/sites/{site['id']}", json={"name": "X"}, headers=if_match(site)
        )
        assert assert_problem(frozen, 409)["type"].endswith("/site-not-editable")
        again = await admin.call(
            "POST",
            f"/v1/sites/{site['id']}/label",
            json={"vintage": 2024},
            headers=if_match(site),
        )
        problem = assert_problem(again, 409)
        assert problem["type"].endswith("/invalid-transition")

    async def test_refused_with_a_reason_then_changed_and_proposed_again(self, keys: Keys) -> None:
        team, admin = keys["territory"], keys["admin"]
        site = await team.act(await create(team), "sites", "propose")
        reason = "Maîtrise foncière à consolider."
        site = await admin.act(site, "sites", "refuse", json={"reason": reason})
        assert (site["status"], site["refusal_reason"]) == ("refused", reason)
        response = await team.call(
            "PATCH",
            f"/v1/sites/{site['id']}",
            json={"land_control": "public"},
            headers=if_match(site),
            expect=200,
        )
        site = await team.act(response.json(), "sites", "propose")
        assert (site["status"], site["refusal_reason"]) == ("proposed", None)

    async def test_a_proposal_is_withdrawn_to_draft(self, keys: Keys) -> None:
        team = keys["territory"]
        site = await team.act(await create(team), "sites", "propose")
        site = await team.act(site, "sites", "withdraw")
        assert site["status"] == "draft"

    async def test_a_draft_cannot_be_labelled(self, keys: Keys) -> None:
        site = await create(keys["territory"])
        response = await keys["admin"].call(
            "POST", f"/v1/sites/{site['id']}/label", json={"vintage": 2024}, headers=if_match(site)
        )
        problem = assert_problem(response, 409)
        assert problem["allowed_actions"] == ["propose"]

    @pytest.mark.parametrize(
        ("body", "pointer"),
        [
            ({}, "/body/vintage"),
            ({"vintage": 2017}, "/body/vintage"),
            ({"vintage": "2024"}, "/body/vintage"),
            ({"vintage": TODAY.year + 1}, "/body/vintage"),
        ],
    )
    async def test_a_bad_vintage_is_422(
        self, keys: Keys, body: dict[str, object], pointer: str
    ) -> None:
        site = await keys["territory"].act(await create(keys["territory"]), "sites", "propose")
        response = await keys["admin"].call(
            "POST", f"/v1/sites/{site['id']}/label", json=body, headers=if_match(site)
        )
        assert pointer in error_pointers(assert_problem(response, 422))

    async def test_a_refusal_needs_a_reason(self, keys: Keys) -> None:
        site = await keys["territory"].act(await create(keys["territory"]), "sites", "propose")
        for body in ({}, {"reason": "   "}):
            response = await keys["admin"].call(
                "POST", f"/v1/sites/{site['id']}/refuse", json=body, headers=if_match(site)
            )
            assert "/body/reason" in error_pointers(assert_problem(response, 422))

    async def test_an_unknown_site_is_404(self, keys: Keys) -> None:
        unknown = "/v1/sites/00000000-0000-4000-8000-000000000000"
        problem = assert_problem(await keys["admin"].call("GET", unknown), 404)
        assert problem["type"].endswith("/site-not-found")

    async def test_every_step_is_in_the_history(self, keys: Keys) -> None:
        team, admin = keys["territory"], keys["admin"]
        site = await team.act(await create(team), "sites", "propose")
        site = await admin.act(site, "sites", "refuse", json={"reason": "Incomplet."})
        history = await team.call("GET", f"/v1/sites/{site['id']}/history", expect=200)
        entries = history.json()["items"]
        assert [e["action"] for e in entries] == ["site.refuse", "site.propose", "site.created"]
        assert entries[0]["reason"] == "Incomplet."
        assert entries[0]["actor_role"] == "admin"


def _albi() -> dict[str, object]:
    insee, latitude, longitude = ALBI
    return {"commune_insee": insee, "coordinates": {"latitude": latitude, "longitude": longitude}}
