"""Who sees and changes which site: a proposal is its territory's, its region's and the
admins'; a labelled site is everyone's to read and its territory's (or an admin's) alone.
Every route under /v1/sites is enumerated from the app, so a route added later is probed
without editing this file."""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.fixtures.flows import nothing_written
from tests.fixtures.http import api_routes, assert_problem
from tests.sites.conftest import Keys, create, labelled

BODIES: dict[str, dict[str, Any]] = {
    "PATCH": {"name": "Repris"},
    "label": {"vintage": 2024},
    "refuse": {"reason": "Hors d'atteinte."},
}
OUTSIDERS = ("other_territory", "other_region", "operator", "observer")


def site_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every operation on one site."""
    routes = [(method, path) for method, path, _ in api_routes(app)]
    found = [(m, p) for m, p in routes if p.startswith("/v1/sites/{site_id}")]
    assert len(found) >= 7, found
    return found


async def _call(keys: Keys, who: str, method: str, path: str, site_id: str) -> Any:
    action = path.rsplit("/", 1)[-1]
    body = BODIES.get(action if method == "POST" else method)
    return await keys[who].call(
        method,
        path.replace("{site_id}", site_id),
        json=body,
        headers={"If-Match": "*"},
    )


class TestProposals:
    @pytest.mark.parametrize("who", OUTSIDERS)
    async def test_outsiders_cannot_tell_a_proposal_from_an_unknown_site(
        self, app: FastAPI, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession], who: str
    ) -> None:
        site = await keys["territory"].act(await create(keys["territory"]), "sites", "propose")
        unknown = str(uuid.uuid4())
        for method, path in site_routes(app):
            async with nothing_written(sessionmaker):
                theirs = await _call(keys, who, method, path, site["id"])
            absent = await _call(keys, who, method, path, unknown)
            assert theirs.status_code in (403, 404), (who, method, path, theirs.text)
            assert theirs.status_code == absent.status_code, (who, method, path)
            readable_by_all = (method, path) == ("GET", "/v1/sites/{site_id}")
            admin_only = path.endswith(("/label", "/refuse"))
            if readable_by_all or (who == "other_territory" and not admin_only):
                assert_problem(theirs, 404)

    async def test_outsiders_do_not_list_it(self, keys: Keys) -> None:
        site = await create(keys["territory"])
        for who in OUTSIDERS:
            listed = await keys[who].call("GET", "/v1/sites", params={"limit": 200}, expect=200)
            assert site["id"] not in {s["id"] for s in listed.json()["items"]}, who

    async def test_the_territorys_region_follows_it_without_changing_it(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        site = await keys["territory"].act(await create(keys["territory"]), "sites", "propose")
        region = keys["region"]
        seen = await region.call("GET", f"/v1/sites/{site['id']}", expect=200)
        assert seen.json()["allowed_actions"] == []
        await region.call("GET", f"/v1/sites/{site['id']}/history", expect=200)
        listed = await region.call("GET", "/v1/sites", params={"status": "proposed"}, expect=200)
        assert [s["id"] for s in listed.json()["items"]] == [site["id"]]
        async with nothing_written(sessionmaker):
            for action in ("propose", "withdraw", "label"):
                response = await region.call(
                    "POST",
                    f"/v1/sites/{site['id']}/{action}",
                    json=BODIES.get(action),
                    headers={"If-Match": "*"},
                )
                assert_problem(response, 403)


class TestLabelledSites:
    async def test_everyone_reads_it_its_territory_alone_acts(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        site = await labelled(keys)
        for who in (*OUTSIDERS, "region", "territory", "admin"):
            await keys[who].call("GET", f"/v1/sites/{site['id']}", expect=200)
        other = keys["other_territory"]
        async with nothing_written(sessionmaker):
            for method, suffix in (("PATCH", ""), ("POST", "/propose"), ("POST", "/withdraw")):
                response = await other.call(
                    method,
                    f"/v1/sites/{site['id']}{suffix}",
                    json=BODIES.get(method),
                    headers={"If-Match": "*"},
                )
                assert_problem(response, 403)

    async def test_its_history_stays_with_its_territory_region_and_admins(self, keys: Keys) -> None:
        site = await labelled(keys)
        path = f"/v1/sites/{site['id']}/history"
        for who in ("territory", "region", "admin"):
            await keys[who].call("GET", path, expect=200)
        for who in ("other_territory", "other_region"):
            assert_problem(await keys[who].call("GET", path), 404)
        for who in ("operator", "observer"):
            assert_problem(await keys[who].call("GET", path), 403)
