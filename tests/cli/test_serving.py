"""The multi-process server: connections spread over the workers, a dead worker replaced."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.cli.serving import REUSE_PORT

pytestmark = pytest.mark.skipif(not REUSE_PORT, reason="needs SO_REUSEPORT")
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> str | None:
    try:
        return httpx.get(url, timeout=1).text
    except httpx.HTTPError:
        return None


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    command = [sys.executable, "-m", "services.cli.serving", "tests.cli.pid_app:app"]
    command += ["--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, cwd=ROOT)  # noqa: S603 - our own module
    url = f"http://127.0.0.1:{port}/pid"
    deadline = time.monotonic() + 60
    pids: set[str] = set()
    while len(pids) < 2 and time.monotonic() < deadline:  # both workers listening
        if (answer := _get(url)) is not None:
            pids.add(answer)
        else:
            time.sleep(0.1)
    yield process, url
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


async def _serving_pids(url: str, connections: int) -> Counter[str]:
    """Which process served each of `connections` keep-alive connections."""

    async def one() -> str:
        async with httpx.AsyncClient() as client:
            return (await client.get(url)).text

    return Counter(await asyncio.gather(*(one() for _ in range(connections))))


async def test_connections_spread_over_the_workers(
    server: tuple[subprocess.Popen[bytes], str],
) -> None:
    _, url = server
    served = await _serving_pids(url, 64)
    assert len(served) == 2, served
    assert min(served.values()) >= 16, served  # even spread: ~32 each


async def test_a_dead_worker_is_replaced_and_sigterm_stops_all(
    server: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = server
    first = set(await _serving_pids(url, 32))
    os.kill(int(next(iter(first))), signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = set(await _serving_pids(url, 32))
        if len(now) == 2 and now != first:
            break
        await asyncio.sleep(0.2)
    assert len(now) == 2, now
    assert now != first

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    for pid in now:
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)


async def test_workers_stop_when_the_supervisor_is_killed(
    server: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = server
    workers = {int(pid) for pid in await _serving_pids(url, 16)}
    process.kill()
    process.wait()
    deadline = time.monotonic() + 30
    while workers and time.monotonic() < deadline:
        workers = {pid for pid in workers if _alive(pid)}
        await asyncio.sleep(0.2)
    assert workers == set()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
