"""Routers skip a path outside their prefix without trying their routes."""

from typing import Any

import httpx
from fastapi import FastAPI
from starlette.routing import Match

from services.api.deps import Public
from services.api.routing import TidiRoute, TidiRouter


def _app() -> tuple[FastAPI, TidiRouter]:
    things = TidiRouter(prefix="/v1/things", route_class=TidiRoute)
    parts = TidiRouter(prefix="/v1/things/{thing_id}/parts", route_class=TidiRoute)

    @things.get("/{thing_id}", dependencies=[Public])
    async def get_thing(thing_id: int) -> dict[str, Any]:
        return {"thing": thing_id}

    @parts.get("", dependencies=[Public])
    async def list_parts(thing_id: int) -> dict[str, Any]:
        return {"parts_of": thing_id}

    app = FastAPI()
    app.include_router(things)
    app.include_router(parts)
    return app, things


def _scope(path: str) -> dict[str, Any]:
    return {"type": "http", "path": path, "root_path": "", "method": "GET", "fastapi": {}}


def test_a_path_outside_the_prefix_is_no_match_at_once() -> None:
    _, things = _app()
    assert things.matches(_scope("/v1/other/1")) == (Match.NONE, {})


async def test_routes_under_literal_and_templated_prefixes_still_answer() -> None:
    app, _ = _app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/v1/things/3")).json() == {"thing": 3}
        assert (await client.get("/v1/things/3/parts")).json() == {"parts_of": 3}
        assert (await client.get("/v1/thingsX/3")).status_code == 404
        assert (await client.post("/v1/things/3")).status_code == 405
