"""The FastAPI application: lifespan resources, middleware, problem handlers, routers, docs."""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from arq import create_pool
from arq.connections import RedisSettings
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.applications.router import router as applications_router
from services.api.audit.router import router as audit_router
from services.api.auth.router import router as auth_router
from services.api.budgets.router import router as budgets_router
from services.api.decisions.router import router as decisions_router
from services.api.docs import install_redoc
from services.api.eligibility.router import router as eligibility_router
from services.api.eligibility.rulesets import router as rulesets_router
from services.api.events.router import router as events_router
from services.api.exports.router import router as exports_router
from services.api.funds.router import router as funds_router
from services.api.geography.router import router as geography_router
from services.api.middleware import RequestMiddleware
from services.api.openapi import install_openapi
from services.api.operators.router import router as operators_router
from services.api.outcomes.router import router as outcomes_router
from services.api.problems import install_problem_handlers
from services.api.projects.router import router as projects_router
from services.api.revocations import Revocations
from services.api.routing import operation_id
from services.api.sites.router import router as sites_router
from services.api.stateaid.router import router as stateaid_router
from services.api.stats.router import router as stats_router
from services.api.system.router import router as system_router
from services.api.territories.router import router as territories_router
from services.api.webhooks.catalogue import install_webhook_catalogue
from services.api.webhooks.router import router as webhooks_router
from services.api.webhooks.routing_rules import router as routing_rules_router
from shared.auth.cache import PrincipalCache
from shared.db.engine import (
    create_engine,
    create_read_engine,
    create_read_sessionmaker,
    create_sessionmaker,
    create_statement_sessionmaker,
    open_connections,
)
from shared.logging import configure_logging
from shared.settings import Settings, get_settings

logger = logging.getLogger("tidi.api")

SWAGGER_PARAMETERS = {
    "persistAuthorization": True,
    "displayRequestDuration": True,
    "tryItOutEnabled": False,
    "filter": True,
    "docExpansion": "list",
    "defaultModelsExpandDepth": 0,
    # The default validator badge calls an external host; none may be reached here.
    "validatorUrl": None,
}

DOCS_ASSETS = "/docs/assets"

ROUTERS = (
    geography_router,
    territories_router,
    operators_router,
    funds_router,
    budgets_router,
    projects_router,
    applications_router,
    decisions_router,
    outcomes_router,
    sites_router,
    stateaid_router,
    stats_router,
    exports_router,
    eligibility_router,
    rulesets_router,
    webhooks_router,
    routing_rules_router,
    events_router,
    auth_router,
    audit_router,
    system_router,
)
"""Every router, in the order the OpenAPI document lists their operations."""
MATCHED_FIRST = (funds_router, applications_router, projects_router)
"""The routers that serve most requests: a request is matched against the routes one by
one, in the order their routers were included, so these are included first."""
MATCHING_ORDER = (*MATCHED_FIRST, *(r for r in ROUTERS if r not in MATCHED_FIRST))


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for `settings` (defaults to the environment)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        arq_pool = await create_pool(
            RedisSettings.from_dsn(settings.redis_url()),
            default_queue_name=settings.WORKER_QUEUE_NAME,
        )
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        app.state.statement_sessionmaker = create_statement_sessionmaker(engine)
        # Statistics read from the replica when DATABASE_READ_URL is set, else the primary.
        read_engine = create_read_engine(settings)
        app.state.read_sessionmaker = create_read_sessionmaker(read_engine or engine)
        app.state.arq = arq_pool
        app.state.revocations = Revocations(
            arq_pool, app.state.principals, channel=f"{settings.WORKER_QUEUE_NAME}:revoked-keys"
        )
        listener = asyncio.create_task(app.state.revocations.listen())
        await _open_pool(engine, settings.DATABASE_POOL_SIZE)
        # What startup built (models, schemas, routes) lives as long as the process: kept
        # out of the collector's generations, the collections under load stay short.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            listener.cancel()
            with suppress(asyncio.CancelledError):
                await listener
            await arq_pool.aclose()
            if read_engine is not None:
                await read_engine.dispose()
            await engine.dispose()

    # Swagger UI at /docs and ReDoc at /redoc, their assets served by the service itself.
    app = FastAPIOffline(
        redoc_url=None,
        title="tidi",
        version="1.0.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        static_url=DOCS_ASSETS,
        swagger_ui_parameters=SWAGGER_PARAMETERS,
    )
    install_redoc(app, path="/redoc", static_url=DOCS_ASSETS)
    app.state.settings = settings
    app.state.principals = PrincipalCache(settings.API_KEY_CACHE_SECONDS)
    install_problem_handlers(app)
    for router in MATCHING_ORDER:
        app.include_router(router)
    install_webhook_catalogue(app)
    install_openapi(app, tags_in_order=[str(tag) for router in ROUTERS for tag in router.tags])
    app.add_middleware(RequestMiddleware, max_body_bytes=settings.MAX_BODY_BYTES)
    return app


async def _open_pool(engine: AsyncEngine, size: int) -> None:
    """Open the pool's connections now (each set up once: codecs, types), not under the
    first requests' load; a database still down only delays that to first use.
    """
    try:
        await open_connections(engine, size)
    except (OSError, SQLAlchemyError) as error:
        logger.warning("database connections not opened at start-up: %s", error)


def app_factory() -> FastAPI:
    """Entry point for `uvicorn --factory services.api.main:app_factory`."""
    settings = get_settings()
    configure_logging(settings.LOG_LEVEL, json=settings.LOG_JSON)
    return create_app(settings)
