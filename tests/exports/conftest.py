"""A small programme with awards at every stage (two territories in two regions and a
project outside any), and a key of every role to export it."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from stdnum.fr import siret as stdnum_siret

from shared.applications.models import Application
from shared.budgets.models import Financer
from shared.territories.models import Territory
from tests.fixtures.api import auth
from tests.fixtures.builders import ALBI_EPCI, Key, MakeKey, MakeTerritory
from tests.stats.dataset import (
    ALBI,
    HOLDER,
    PARIS,
    PONTIVY,
    add_application,
    add_commitment,
    add_project,
    add_zonings,
    at,
)


def siret_of(siren: str) -> str:
    """The first valid SIRET of an undertaking (its establishments are numbered from 1)."""
    return next(
        f"{siren}{nic:05d}" for nic in range(1, 1000) if stdnum_siret.is_valid(f"{siren}{nic:05d}")
    )


HOLDER_SIRET = siret_of(HOLDER["siren"])
PUBLISHER_SIRET = siret_of("130000003")
"""A SIRET the publisher gives as `idAttribuant` (made up, with a valid key)."""


@dataclass
class Programme:
    """The dataset's territories, its applications by name, and a key per reader."""

    client: httpx.AsyncClient
    pontivy: Territory
    albi: Territory
    keys: dict[str, Key]
    applications: dict[str, Application] = field(default_factory=dict)

    async def get(self, who: str, path: str, expect: int = 200, **params: Any) -> httpx.Response:
        response = await self.client.get(
            f"/v1/exports/{path}", params=params, headers=auth(self.keys[who].secret)
        )
        assert response.status_code == expect, response.text
        return response

    async def rows(self, who: str, path: str, **params: Any) -> list[dict[str, str]]:
        """The CSV export's rows, parsed back."""
        response = await self.get(who, path, **params)
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        return list(csv.DictReader(io.StringIO(response.content.decode())))

    def ids(self, *names: str) -> set[str]:
        return {str(self.applications[name].id) for name in names}


@pytest.fixture
async def programme(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_territory: MakeTerritory,
    make_key: MakeKey,
) -> Programme:
    pontivy = await make_territory("ti-pontivy")
    albi = await make_territory("ti-albi", region_code="76", epci_sirens=[ALBI_EPCI])
    keys = {
        "admin": await make_key("admin"),
        "observer": await make_key("observer"),
        "pontivy": await make_key("territory", territory_id=pontivy.id),
        "albi": await make_key("territory", territory_id=albi.id),
        "brittany": await make_key("region", region_code="53"),
        "occitania": await make_key("region", region_code="76"),
        "bpifrance": await make_key("operator", operator_code="bpifrance"),
        "ademe": await make_key("operator", operator_code="ademe"),
    }
    programme = Programme(client, pontivy, albi, keys)
    async with sessionmaker() as session:
        programme.applications = await _write(session, pontivy, albi)
        await session.commit()
    return programme


def _award(
    application: Application,
    *,
    cents: int,
    signed_on: date | None,
    regime: str = "gber_art17_sme",
    aid_form: str = "subsidy",
) -> None:
    """The decision and agreement the approval and the signature leave."""
    application.awarded_cents = cents
    application.decision = {
        "kind": "approved",
        "decided_at": (application.decision or {}).get("decided_at"),
        "amount_cents": cents,
        "aid_form": aid_form,
        "regime": regime,
    }
    if signed_on is not None:
        application.agreement = {"signed_on": signed_on.isoformat(), "reference": "CONV-1"}


async def _write(
    session: AsyncSession, pontivy: Territory, albi: Territory
) -> dict[str, Application]:
    """Submitted applications of six projects (and a draft):

    | name | territory | fund | status | award |
    |---|---|---|---|---|
    | foundry | Pontivy (53) | acceleration | funded | 50,000 € GBER, signed, paid twice |
    | friche | Pontivy | friches | rejected | |
    | glass | Albi (76) | acceleration | agreement_signed | 30,000 € de minimis, signed |
    | kiln | Albi | acceleration | funded | 23,000 € exactly, signed, paid once |
    | green | Albi | vert (ADEME) | agreement_signed | 24,000 €, paid once in full |
    | pending | Pontivy | acceleration | approved | 40,000 €, no agreement |
    | advance | Paris (none) | acceleration | closed | 60,000 € repayable advance |
    """
    await add_zonings(session)
    site = {"siret": HOLDER_SIRET, "commune_insee": PONTIVY[0], "region_code": PONTIVY[1]}
    foundry = await add_project(
        session, territory_id=pontivy.id, site=PONTIVY, jobs=(10, 20), investment=1_000_000
    )
    foundry.site = site
    foundry.title = "Fonderie de Pontivy"
    workshop = await add_project(session, territory_id=pontivy.id, site=PONTIVY)
    albi_kiln = await add_project(session, territory_id=albi.id, site=ALBI, investment=900_000)
    albi_kiln.title = "Four de la verrerie d'Albi"
    albi_oven = await add_project(session, territory_id=albi.id, site=ALBI)
    paris = await add_project(session, territory_id=None, site=PARIS, investment=700_000)
    await session.flush()
    apps: dict[str, Application] = {}
    apps["foundry"] = await add_application(
        session,
        foundry,
        fund="fonds-acceleration",
        status="funded",
        submitted_at=at("2026-01-10"),
        requested=6_000_000,
        decided=("approved", at("2026-02-09")),
    )
    _award(apps["foundry"], cents=5_000_000, signed_on=date(2026, 2, 20))
    await add_commitment(
        session,
        apps["foundry"],
        financer=Financer.STATE,
        amount=5_000_000,
        created_at=at("2026-02-09"),
        payments=((2_000_000, date(2026, 3, 5)), (1_000_000, date(2026, 6, 1))),
    )
    apps["friche"] = await add_application(
        session,
        foundry,
        fund="fonds-friches",
        status="rejected",
        submitted_at=at("2026-01-20"),
        requested=50_000,
        decided=("rejected", at("2026-03-01")),
    )
    apps["glass"] = await add_application(
        session,
        albi_kiln,
        fund="fonds-acceleration",
        status="agreement_signed",
        submitted_at=at("2026-02-15"),
        requested=3_500_000,
        decided=("approved", at("2026-04-06")),
        planned_end="2027-06-30",
    )
    _award(
        apps["glass"], cents=3_000_000, signed_on=date(2026, 4, 20), regime="de_minimis_2023_2831"
    )
    apps["kiln"] = await add_application(
        session,
        albi_oven,
        fund="fonds-acceleration",
        status="funded",
        submitted_at=at("2026-02-16"),
        requested=2_300_000,
        decided=("approved", at("2026-04-07")),
    )
    _award(apps["kiln"], cents=2_300_000, signed_on=date(2026, 4, 21))
    apps["green"] = await add_application(
        session,
        albi_kiln,
        fund="fonds-vert-ti",
        status="agreement_signed",
        submitted_at=at("2026-03-01"),
        requested=2_400_000,
        decided=("approved", at("2026-04-01")),
    )
    _award(apps["green"], cents=2_400_000, signed_on=date(2026, 4, 2))
    await add_commitment(
        session,
        apps["green"],
        financer=Financer.STATE,
        amount=2_400_000,
        created_at=at("2026-04-01"),
        payments=((2_400_000, date(2026, 5, 2)),),
    )
    apps["pending"] = await add_application(
        session,
        workshop,
        fund="fonds-acceleration",
        status="approved",
        submitted_at=at("2026-03-10"),
        requested=4_000_000,
        decided=("approved", at("2026-04-10")),
    )
    _award(apps["pending"], cents=4_000_000, signed_on=None)
    apps["advance"] = await add_application(
        session,
        paris,
        fund="fonds-acceleration",
        status="closed",
        submitted_at=at("2026-03-20"),
        requested=6_000_000,
        decided=("approved", at("2026-04-10")),
    )
    _award(
        apps["advance"], cents=6_000_000, signed_on=date(2026, 5, 1), aid_form="repayable_advance"
    )
    apps["draft"] = await add_application(
        session, foundry, fund="fonds-vert-ti", status="draft", submitted_at=None, requested=999
    )
    await session.flush()
    return apps
