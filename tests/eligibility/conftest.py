"""Fixtures of the scoring tests: a territory and its key."""

from typing import Any

import pytest

from tests.fixtures.builders import Key, MakeKey, MakeTerritory


@pytest.fixture
async def territory_key(make_territory: MakeTerritory, make_key: MakeKey) -> tuple[Any, Key]:
    territory = await make_territory("ti-pontivy")
    key = await make_key("territory", territory_id=territory.id)
    return territory, key
