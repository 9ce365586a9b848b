"""Routes are tried one by one, in the order their routers are included: the busiest
routers first (`MATCHING_ORDER`); the OpenAPI document keeps the documentation order
(`ROUTERS`) whatever that order is."""

import re

from fastapi.routing import APIRoute
from starlette.routing import Match

from services.api.main import MATCHED_FIRST, MATCHING_ORDER, ROUTERS, create_app


def _routes() -> list[APIRoute]:
    routes = [route for router in MATCHING_ORDER for route in router.routes]
    assert all(isinstance(route, APIRoute) for route in routes)  # no nested router
    return routes  # type: ignore[return-value]


def _first_match(routes: list[APIRoute], method: str, path: str) -> APIRoute | None:
    scope = {"type": "http", "method": method, "path": path, "root_path": ""}
    return next((route for route in routes if route.matches(scope)[0] is Match.FULL), None)


def test_every_router_is_included_once_the_busiest_first() -> None:
    assert sorted(map(id, MATCHING_ORDER)) == sorted(map(id, ROUTERS))
    assert len(MATCHING_ORDER) == len(ROUTERS)
    assert MATCHING_ORDER[: len(MATCHED_FIRST)] == MATCHED_FIRST


def test_no_route_is_shadowed_by_one_tried_before_it() -> None:
    """Each operation's own path (its parameters filled in) reaches that operation."""
    routes = _routes()
    shadowed = [
        (method, route.path)
        for route in routes
        for method in sorted(route.methods)
        if _first_match(routes, method, re.sub(r"\{[^}]+\}", "0", route.path)) is not route
    ]
    assert shadowed == []


def test_the_document_lists_paths_in_the_documentation_order() -> None:
    order = [str(tag) for router in ROUTERS for tag in router.tags]
    paths = create_app().openapi()["paths"]
    tags = [next(iter(item.values()))["tags"][0] for item in paths.values()]
    positions = [order.index(tag) for tag in tags]
    assert positions == sorted(positions)
    assert tags[0] == ROUTERS[0].tags[0]
