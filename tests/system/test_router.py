import socket

import httpx
from pydantic import SecretStr

from services.api.main import create_app
from shared.settings import Settings
from tests.fixtures.api import auth
from tests.fixtures.builders import Key


class TestHealth:
    async def test_healthz_answers_without_key(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    async def test_readyz_checks_database_and_redis(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checks"] == {"database": "ok", "redis": "ok"}

    async def test_the_api_starts_with_the_database_down_and_says_it_is_not_ready(
        self, test_settings: Settings
    ) -> None:
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        down = test_settings.model_copy(
            update={"DATABASE_URL": SecretStr(f"postgresql+asyncpg://tidi@127.0.0.1:{port}/x")}
        )
        app = create_app(down)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://tidi.test") as client,
        ):
            response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["redis"] == "ok"
        assert response.json()["checks"]["database"] != "ok"


class TestMetrics:
    async def test_metrics_count_requests_by_route(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        await client.get("/v1/regions", headers=auth(admin_key.secret))
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert (
            'tidi_http_requests_total{method="GET",route="/v1/regions",status="200"}'
            in response.text
        )


class TestRequestId:
    async def test_request_id_is_echoed_and_generated(self, client: httpx.AsyncClient) -> None:
        mine = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        assert mine.headers["x-request-id"] == "abc-123"
        generated = await client.get("/healthz")
        assert len(generated.headers["x-request-id"]) == 32
