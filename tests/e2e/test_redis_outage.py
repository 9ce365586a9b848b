"""A `tidi worker` rides out a Redis outage: Redis shut down (SHUTDOWN NOSAVE, as in the
incident) for 60 s in the middle of a webhook fan-out, then started again empty. The same
worker process delivers every message, with no manual step.

Redis is a `redis-server` of the test's own on a free port (never the suite's); receivers
are real HTTP servers on loopback in this process.
"""

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from shared.settings import Settings
from tests.e2e.test_webhook_faults import delivery_counts, emit, tidi_worker
from tests.fixtures.receiver import Answer, Receiver, serve, wait_until
from tests.webhooks.conftest import create_endpoint

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"),
]

TIDI = Path(sys.executable).parent / "tidi"
REDIS_SERVER = shutil.which("redis-server") or "redis-server"
OUTAGE_SECONDS = 60
ENDPOINTS = 3
BEFORE, DURING = 200, 50  # events emitted before and during the outage
STOP_AFTER = 150  # requests received when Redis is shut down


@pytest.fixture
async def bpifrance_key(make_key: Any) -> Any:
    return await make_key("operator", operator_code="bpifrance")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def redis_server(port: int, directory: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server on `port`, without persistence: a restart starts it empty."""
    options = {"port": str(port), "bind": "127.0.0.1", "save": "", "appendonly": "no"}
    argv = [REDIS_SERVER, "--dir", str(directory)]
    for name, value in options.items():
        argv += [f"--{name}", value]
    process = subprocess.Popen(  # noqa: S603 - a fixed argv, no shell
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


async def answers(port: int) -> bool:
    client = Redis(port=port)
    try:
        return bool(await client.ping())
    except RedisConnectionError:
        return False
    finally:
        await client.aclose()


async def check(env: dict[str, str]) -> tuple[int, str]:
    """`tidi worker --check`: exit status and what it said."""
    process = await asyncio.create_subprocess_exec(
        str(TIDI), "worker", "--check", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


class TestRedisOutage:
    async def test_the_same_worker_delivers_everything_once_redis_is_back(
        self,
        client: Any,
        sessionmaker: Any,
        test_settings: Settings,
        bpifrance_key: Any,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        port = free_port()
        settings = test_settings.model_copy(
            update={"REDIS_URL": SecretStr(f"redis://127.0.0.1:{port}/0")}
        )
        health = tmp_path / "worker-health.json"
        for name, value in {
            "WORKER_HEALTH_FILE": str(health),
            "WORKER_HEARTBEAT_SECONDS": "1",
            "WORKER_RECONNECT_MAX_SECONDS": "2",
        }.items():
            monkeypatch.setenv(name, value)
        check_env = {**os.environ}
        receivers = [Receiver(lambda _n, _r: Answer(delay=0.002)) for _ in range(ENDPOINTS)]

        def received() -> int:
            return sum(len(r.received) for r in receivers)

        async def ready() -> bool:
            return (await check(check_env))[0] == 0

        async with serve(receivers[0]), serve(receivers[1]), serve(receivers[2]):
            for receiver in receivers:
                await create_endpoint(client, bpifrance_key, receiver.url)
            with (
                redis_server(port, tmp_path) as first_redis,
                tidi_worker(settings, tmp_path / "worker.log") as worker,
            ):
                await wait_until(lambda: answers(port), within=10)
                await wait_until(ready, within=30, interval=0.5)
                ids = await emit(sessionmaker, settings, BEFORE)
                await wait_until(lambda: received() >= STOP_AFTER, within=60)

                await Redis(port=port).shutdown(nosave=True)
                assert first_redis.wait(timeout=10) == 0
                outage_ends = time.monotonic() + OUTAGE_SECONDS
                stopped_at = received()
                # The API keeps accepting: these commit with their deliveries, and their
                # first attempts go to the suite's Redis, which this worker never reads
                # (as if the API's enqueue had failed): the sweeper must find them.
                ids += await emit(sessionmaker, test_settings, DURING)
                status, said = await check(check_env)
                while status == 0 or "redis unreachable" not in said:
                    assert time.monotonic() < outage_ends, said
                    await asyncio.sleep(0.5)
                    status, said = await check(check_env)
                while time.monotonic() < outage_ends:
                    assert worker.poll() is None, (tmp_path / "worker.log").read_text()
                    await asyncio.sleep(1)
                assert stopped_at < ENDPOINTS * BEFORE, "the outage came after the fan-out"

                with redis_server(port, tmp_path):

                    async def all_delivered() -> bool:
                        counts = await delivery_counts(sessionmaker)
                        return counts.get("succeeded") == ENDPOINTS * (BEFORE + DURING)

                    await wait_until(all_delivered, within=60, interval=0.5)
                    await wait_until(ready, within=10, interval=0.5)
                    assert worker.poll() is None
        for receiver in receivers:
            assert set(receiver.ids()) == set(ids)
        log = (tmp_path / "worker.log").read_text(errors="replace")
        assert "restarting the workers" in log
        # tidi's own loggers report the outage without errors; arq may log the traceback of
        # a job whose finish met the closed connection (its own logger, its own words).
        assert not re.search(r" (ERROR|CRITICAL) tidi\.", log)
