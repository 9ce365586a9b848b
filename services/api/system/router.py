"""Liveness, readiness (database and Redis) and Prometheus metrics."""

import asyncio
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field
from sqlalchemy import text

from services.api.deps import Public
from services.api.routing import TidiRoute
from services.api.system.metrics import live_metrics, recorded_metrics

router = APIRouter(tags=["system"], route_class=TidiRoute, dependencies=[Public])


class Health(BaseModel):
    """Liveness: the process answers."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Readiness: each dependency and whether it answered."""

    status: Literal["ready", "unavailable"]
    checks: dict[str, Literal["ok", "failed"]] = Field(examples=[{"database": "ok", "redis": "ok"}])


@router.get("/healthz", summary="Liveness probe")
async def get_health() -> Health:
    """The process is up (does not touch the database or Redis)."""
    return Health()


@router.get(
    "/readyz",
    summary="Readiness probe",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is unreachable."}},
)
async def get_readiness(request: Request) -> JSONResponse:
    """PostgreSQL and Redis both answer within 2 seconds."""
    checks = {
        "database": await _check(_ping_database(request)),
        "redis": await _check(request.app.state.arq.ping()),
    }
    ready = all(v == "ok" for v in checks.values())
    body = Readiness(status="ready" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def get_metrics(request: Request) -> Response:
    """HTTP latency and counts, job runs and durations, webhook attempts by outcome, queue
    depths, the outbox's lag and endpoint health, in Prometheus text format."""
    body = recorded_metrics() + await live_metrics(request.app.state)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


async def _ping_database(request: Request) -> None:
    async with request.app.state.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _check(awaitable: object) -> Literal["ok", "failed"]:
    try:
        await asyncio.wait_for(awaitable, timeout=2)  # type: ignore[arg-type]
    except Exception:
        return "failed"
    return "ok"
