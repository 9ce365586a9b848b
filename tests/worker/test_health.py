"""Each worker process's own health: its file, refreshed by itself, read by `tidi worker --check`.

The processes run in this event loop (`WorkerProcess`, what `tidi worker` runs); an
unreachable server is an address where nothing listens, so no shared server is stopped.
"""

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from services.cli.main import app
from services.worker.jobs.system import unready_reason, write_health
from services.worker.runner import WorkerProcess
from shared.settings import Settings
from tests.fixtures.receiver import wait_until

pytestmark = [
    pytest.mark.usefixtures("engine"),
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"),
]


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def settings_for(base: Settings, health: Path, **update: object) -> Settings:
    return base.model_copy(
        update={"WORKER_HEALTH_FILE": health, "WORKER_HEARTBEAT_SECONDS": 1, **update}
    )


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[WorkerProcess]:
    process = WorkerProcess(settings, poll_delay=0.01)
    task = asyncio.create_task(process.run())
    try:
        yield process
    finally:
        process.stop()
        await asyncio.wait_for(task, timeout=30)


async def check(health: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """`tidi worker --check` for the process writing `health`: exit status and output."""
    monkeypatch.setenv("WORKER_HEALTH_FILE", str(health))
    monkeypatch.setenv("WORKER_HEARTBEAT_SECONDS", "1")
    result = await asyncio.to_thread(CliRunner().invoke, app, ["worker", "--check"])
    return result.exit_code, result.output


def beat_at(health: Path) -> str | None:
    try:
        return str(json.loads(health.read_text())["at"])
    except (FileNotFoundError, ValueError):
        return None


class TestEachProcessReportsItself:
    async def test_ready_and_unready_processes_side_by_side_each_say_their_own(
        self, test_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        healthy = settings_for(test_settings, tmp_path / "healthy.json")
        no_redis = settings_for(
            test_settings,
            tmp_path / "no-redis.json",
            REDIS_URL=SecretStr(f"redis://127.0.0.1:{closed_port()}/0"),
        )
        no_database = settings_for(
            test_settings,
            tmp_path / "no-database.json",
            DATABASE_URL=SecretStr(f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/tidi"),
        )
        async with running(healthy), running(no_redis), running(no_database):

            async def said(settings: Settings, expected: tuple[int, str]) -> bool:
                status, output = await check(settings.worker_health_file, monkeypatch)
                return status == expected[0] and expected[1] in output

            await wait_until(lambda: said(healthy, (0, "ready")), within=20, interval=0.2)
            await wait_until(
                lambda: said(no_redis, (1, "redis unreachable")), within=20, interval=0.2
            )
            await wait_until(
                lambda: said(no_database, (1, "postgres unreachable")), within=20, interval=0.2
            )
            status, output = await check(healthy.worker_health_file, monkeypatch)
            assert (status, output.strip()) == (0, "ready")

            # The process refreshes its own file, beat after beat.
            first = beat_at(healthy.worker_health_file)
            await wait_until(lambda: beat_at(healthy.worker_health_file) != first, within=5)

        # A stopped process leaves no file behind: not ready.
        status, output = await check(healthy.worker_health_file, monkeypatch)
        assert status == 1
        assert "worker not running" in output


class TestStaleHealthFile:
    def test_a_file_older_than_three_beats_is_a_process_that_stopped_beating(
        self, tmp_path: Path
    ) -> None:
        health = tmp_path / "worker-health.json"
        write_health(health, [])
        now = datetime.now(UTC)

        assert unready_reason(health, beat_seconds=30, now=now) is None
        assert unready_reason(health, beat_seconds=30, now=now + timedelta(seconds=89)) is None
        stale = unready_reason(health, beat_seconds=30, now=now + timedelta(seconds=95))
        assert stale is not None
        assert stale.startswith("no beat for 95 s")

    def test_problems_recorded_by_the_process_are_the_reason(self, tmp_path: Path) -> None:
        health = tmp_path / "worker-health.json"
        write_health(health, ["workers not running", "redis unreachable"])

        assert unready_reason(health, beat_seconds=30) == "workers not running, redis unreachable"
