"""`tidi serve --workers 2`: uvicorn's worker processes answer, and SIGTERM stops them all."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.settings import Settings

TIDI = Path(sys.executable).parent / "tidi"
READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"tidi serve exited with {process.returncode}"
        try:
            if httpx.get(url, timeout=2).json() == {"status": "ok"}:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {READY_TIMEOUT:.0f} s")


def worker_processes(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The server's worker processes (multiprocessing's own helpers left aside)."""
    children = psutil.Process(process.pid).children(recursive=True)
    return [child for child in children if "resource_tracker" not in " ".join(child.cmdline())]


def test_two_workers_answer_share_their_metrics_and_sigterm_stops_them_all(
    engine: AsyncEngine, test_settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": test_settings.database_url(),
        "REDIS_URL": test_settings.redis_url(),
        "VAR_DIR": str(tmp_path),
    }
    command = [str(TIDI), "serve", "--workers", "2", "--port", str(port)]
    process = subprocess.Popen(command, env=env, start_new_session=True)  # noqa: S603
    try:
        wait_healthy(process, f"http://127.0.0.1:{port}/healthz")
        deadline = time.monotonic() + READY_TIMEOUT
        while len(workers := worker_processes(process)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) == 2, workers
        base = f"http://127.0.0.1:{port}"
        for _ in range(30):  # a connection each: both processes answer some
            assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        metrics = httpx.get(f"{base}/metrics", timeout=5).text
        readiness = 'tidi_http_requests_total{method="GET",route="/readyz",status="200"} '
        counts = [float(line.removeprefix(readiness)) for line in metrics.splitlines()
                  if line.startswith(readiness)]  # fmt: skip
        assert counts == [30.0]  # summed over the processes, whichever answered
        writers = {path.stem.rsplit("_", 1)[-1] for path in (tmp_path / "metrics").glob("*.db")}
        assert len(writers) >= 2  # counters written by each worker process

        process.send_signal(signal.SIGTERM)

        assert process.wait(timeout=30) == 0
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert alive == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
