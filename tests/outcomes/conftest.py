"""An application of the fonds friches brought to its signed agreement through the API, and
the keys of every role around it."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.fixtures.bodies import friche_application
from tests.fixtures.builders import ALBI_EPCI, Key, MakeKey, MakeTerritory
from tests.fixtures.flows import Portal, fetch, update_row

pytestmark = pytest.mark.usefixtures("open_fund_windows")

TODAY = datetime.now(UTC).date()
SIGNED_ON = TODAY - timedelta(days=60)
APPROVAL = {"amount_cents": 90_000_000, "aid_form": "subsidy", "regime": "gber_art17_sme"}


class Keys:
    """Portals of Pontivy's territory (the applicant), Albi's, Brittany's region, the State
    (the fund's operator), Bpifrance, an observer and an admin."""

    def __init__(self, client: httpx.AsyncClient, keys: dict[str, Key]) -> None:
        self.portals = {who: Portal(client, key.secret) for who, key in keys.items()}

    def __getitem__(self, who: str) -> Portal:
        return self.portals[who]


@pytest.fixture
async def keys(client: httpx.AsyncClient, make_key: MakeKey, make_territory: MakeTerritory) -> Keys:
    pontivy = await make_territory("ti-pontivy")
    albi = await make_territory("ti-albi", region_code="76", epci_sirens=[ALBI_EPCI])
    return Keys(
        client,
        {
            "territory": await make_key("territory", territory_id=pontivy.id),
            "other_territory": await make_key("territory", territory_id=albi.id),
            "region": await make_key("region", region_code="53"),
            "operator": await make_key("operator", operator_code="etat"),
            "other_operator": await make_key("operator", operator_code="bpifrance"),
            "observer": await make_key("observer"),
            "admin": await make_key("admin"),
        },
    )


async def approved(keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """An application to the fonds friches, approved (its agreement not yet signed)."""
    team = keys["territory"]
    draft = await team.draft_application(await team.active_project(), **friche_application())
    await team.act(draft, "applications", "submit")
    await update_row(sessionmaker, "applications", draft["id"], status="under_review")
    operator = keys["operator"]
    current = await fetch(operator, "applications", draft["id"])
    return await operator.act(current, "applications", "approve", json=APPROVAL)


async def signed(keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """An application whose agreement was signed 60 days ago."""
    application = await approved(keys, sessionmaker)
    agreement = {"signed_on": SIGNED_ON.isoformat(), "reference": "CONV-1"}
    return await keys["operator"].act(application, "applications", "sign_agreement", json=agreement)
