"""A request's sessions end with its route: committed after the endpoint, then its jobs
enqueued; rolled back, jobs dropped, on any error, including a response that cannot be
serialised; a session opened outside a `TidiRoute` is refused rather than leaked."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from arq import ArqRedis
from arq.jobs import Job, JobStatus
from fastapi import APIRouter, FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.api.deps import Public, SessionDep
from services.api.main import create_app
from services.api.routing import TidiRoute
from shared.jobs import JobRequest, defer_job
from shared.operators.models import Operator, OperatorKind
from shared.settings import Settings
from tests.fixtures.http import assert_problem

JOB = "eligibility.score_application"


def _probes() -> tuple[APIRouter, APIRouter]:
    """Endpoints that add an operator `code` and defer a job named after it, then answer,
    fail, or answer what their response model refuses; and one outside a TidiRoute."""
    routed = APIRouter(prefix="/probe", route_class=TidiRoute, dependencies=[Public])

    def write(session: AsyncSession, code: str) -> None:
        session.add(Operator(id=uuid.uuid4(), code=code, name=code, kind=OperatorKind.STATE))
        defer_job(session, JobRequest(JOB, f"probe:{code}", {"application_id": code}))

    @routed.post("/answers/{code}")
    async def answers(session: SessionDep, code: str) -> dict[str, str]:
        write(session, code)
        return {"code": code}

    @routed.post("/fails/{code}")
    async def fails(session: SessionDep, code: str) -> dict[str, str]:
        write(session, code)
        await session.flush()  # the row is written, inside the transaction
        raise RuntimeError("after the write")

    @routed.post("/unserialisable/{code}")
    async def unserialisable(session: SessionDep, code: str) -> int:
        write(session, code)
        await session.flush()
        return code  # type: ignore[return-value]  # not an int: FastAPI refuses the response

    plain = APIRouter(prefix="/plain")

    @plain.post("/{code}")
    async def outside(session: SessionDep, code: str) -> dict[str, str]:
        write(session, code)
        return {"code": code}

    return routed, plain


@pytest.fixture
async def probe_app(engine: AsyncEngine, test_settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(test_settings)
    for router in _probes():
        app.include_router(router)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def probe(probe_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=probe_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tidi.test") as client:
        yield client


async def _stored(sessionmaker: async_sessionmaker[AsyncSession], code: str) -> bool:
    async with sessionmaker() as session:
        found = await session.scalar(select(Operator.id).where(Operator.code == code))
    return found is not None


async def _queued(pool: ArqRedis, settings: Settings, code: str) -> bool:
    job = Job(f"probe:{code}", pool, _queue_name=settings.WORKER_QUEUE_NAME)
    return await job.status() is JobStatus.queued


async def test_an_answer_commits_then_enqueues(
    probe: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    arq_pool: ArqRedis,
    test_settings: Settings,
) -> None:
    response = await probe.post("/probe/answers/probe-ok")
    assert response.status_code == 200, response.text
    assert await _stored(sessionmaker, "probe-ok")
    assert await _queued(arq_pool, test_settings, "probe-ok")


@pytest.mark.parametrize("path", ["fails", "unserialisable"])
async def test_an_error_rolls_back_and_drops_the_jobs(
    probe: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    arq_pool: ArqRedis,
    test_settings: Settings,
    path: str,
) -> None:
    code = f"probe-{path}"
    response = await probe.post(f"/probe/{path}/{code}")
    assert_problem(response, 500)
    assert not await _stored(sessionmaker, code)
    assert not await _queued(arq_pool, test_settings, code)


async def test_a_session_outside_a_tidi_route_is_refused(
    probe: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await probe.post("/plain/probe-plain")
    assert_problem(response, 500)
    assert not await _stored(sessionmaker, "probe-plain")
