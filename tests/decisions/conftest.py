"""Fixtures of the review and decision tests: the three keys of an application's life and
the delivery workers."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.settings import Settings
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.flows import Portal
from tests.webhooks.conftest import running_workers

pytestmark = pytest.mark.usefixtures("open_fund_windows")

TODAY = datetime.now(UTC).date()
APPROVAL = {"amount_cents": 90_000_000, "aid_form": "subsidy", "regime": "gber_art17_sme"}
"""900 k€: under the GBER art. 17 ceiling of the test holder (a medium undertaking, 10 % of
a 9.8 M€ expense base)."""
REFUSAL = {"reason_code": "insufficient_maturity", "reason_text": "Démarrage trop lointain"}
INFORMATION = {
    "items": ["/answers/area_ha", "document:plan-de-financement"],
    "message": "Merci de préciser la surface et de joindre le plan de financement.",
    "due_on": (TODAY + timedelta(days=30)).isoformat(),
}


class Keys:
    """The territory's, the region's (Brittany) and the fund's operator's portals."""

    def __init__(self, client: httpx.AsyncClient, keys: dict[str, Key]) -> None:
        self.keys = keys
        self.portals = {who: Portal(client, key.secret) for who, key in keys.items()}

    def __getitem__(self, who: str) -> Portal:
        return self.portals[who]


@pytest.fixture
async def keys(client: httpx.AsyncClient, make_key: MakeKey, make_territory: MakeTerritory) -> Keys:
    """Pontivy's territory key, Brittany's region key, the State's operator key (the fonds
    friches' instructor), Bpifrance's, and an admin's."""
    territory = await make_territory("ti-pontivy")
    return Keys(
        client,
        {
            "territory": await make_key("territory", territory_id=territory.id),
            "region": await make_key("region", region_code="53"),
            "operator": await make_key("operator", operator_code="etat"),
            "bpifrance": await make_key("operator", operator_code="bpifrance"),
            "admin": await make_key("admin"),
        },
    )


@pytest.fixture
def workers(test_settings: Settings) -> Callable[..., Any]:
    """`async with workers(): ...` runs a worker process's workers meanwhile."""
    return lambda settings=None, **kw: running_workers(settings or test_settings, **kw)
