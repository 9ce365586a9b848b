"""/metrics: job runs, webhook attempts, queue depths, the outbox's lag, endpoint health."""

import re
from typing import Any

import httpx
import pytest
from arq import Retry
from prometheus_client import REGISTRY
from pydantic import SecretStr

from services.api.main import create_app
from services.worker.main import FUNCTIONS, WEBHOOK_FUNCTIONS, cron_jobs
from services.worker.metrics import observed
from shared.settings import Settings


def sample(document: str, name: str, **labels: str) -> float | None:
    """The value of one sample of a Prometheus text document, if present (labels are
    written in name order)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = rf"^{re.escape(name)}{re.escape('{' + wanted + '}') if labels else ''} (\S+)$"
    found = re.search(pattern, document, flags=re.MULTILINE)
    return float(found.group(1)) if found else None


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class TestJobRuns:
    async def test_each_run_is_counted_by_job_and_outcome_and_timed(self) -> None:
        async def succeeds(_ctx: Any) -> str:
            return "done"

        async def retries(_ctx: Any) -> None:
            raise Retry(defer=1)

        async def fails(_ctx: Any) -> None:
            raise ValueError("boom")

        before = {
            outcome: counted("tidi_jobs_total", job="test.metrics", outcome=outcome)
            for outcome in ("success", "retry", "failure")
        }
        timed = counted("tidi_job_duration_seconds_count", job="test.metrics")
        assert await observed("test.metrics", succeeds)({}) == "done"
        with pytest.raises(Retry):
            await observed("test.metrics", retries)({})
        with pytest.raises(ValueError, match="boom"):
            await observed("test.metrics", fails)({})
        for outcome in ("success", "retry", "failure"):
            after = counted("tidi_jobs_total", job="test.metrics", outcome=outcome)
            assert after == before[outcome] + 1, outcome
        assert counted("tidi_job_duration_seconds_count", job="test.metrics") == timed + 3

    def test_every_registered_job_and_cron_is_observed(self, test_settings: Settings) -> None:
        coroutines = [function.coroutine for function in (*FUNCTIONS, *WEBHOOK_FUNCTIONS)]
        coroutines += [job.coroutine for job in cron_jobs(test_settings)]
        assert coroutines
        assert all(hasattr(coroutine, "__wrapped__") for coroutine in coroutines)


class TestLiveGauges:
    async def test_a_source_down_is_reported_and_the_scrape_still_answers(
        self, test_settings: Settings
    ) -> None:
        down = test_settings.model_copy(
            update={"DATABASE_URL": SecretStr("postgresql+asyncpg://tidi@127.0.0.1:9/x")}
        )
        app = create_app(down)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://tidi.test") as client,
        ):
            response = await client.get("/metrics")
        assert response.status_code == 200
        assert sample(response.text, "tidi_metrics_source_up", source="database") == 0.0
        assert sample(response.text, "tidi_metrics_source_up", source="redis") == 1.0
        assert sample(response.text, "tidi_outbox_lag_seconds") is None
