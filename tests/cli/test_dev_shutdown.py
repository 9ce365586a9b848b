"""Ctrl+C in the terminal of `tidi dev` (`scripts/dev`): a quiet, ordered stop.

A terminal sends SIGINT to its whole foreground process group: `tidi dev` and the embedded
servers it started. The API, its revocation listener and the worker must stop before the
embedded Valkey and PostgreSQL, so nothing logs a lost connection on the way out.
"""

import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_embedded import (
    STOP_TIMEOUT,
    tidi_dev,
    wait_ready,
    wait_until_no_embedded_processes,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def var_dir() -> Iterator[Path]:
    """A fresh VAR_DIR outside pytest's tmp_path (PostgreSQL, run as another user when the
    tests run as root, must traverse every parent directory)."""
    base = Path(tempfile.mkdtemp(prefix="tidi-ctrl-c-"))
    try:
        yield base / "var"
    finally:
        shutil.rmtree(base, ignore_errors=True)


class TestCtrlC:
    def test_sigint_to_the_process_group_stops_everything_without_warning(
        self, tmp_path: Path, var_dir: Path
    ) -> None:
        with tidi_dev(var_dir, tmp_path / "dev.log") as dev:
            wait_ready(dev)

            os.killpg(dev.process.pid, signal.SIGINT)  # its own session: the group it leads

            assert dev.process.wait(timeout=STOP_TIMEOUT) == 128 + signal.SIGINT
            assert wait_until_no_embedded_processes(var_dir) == []
            output = dev.output()
            assert '"level": "WARNING"' not in output, output[-3000:]
            assert '"level": "ERROR"' not in output, output[-3000:]
            assert "Traceback" not in output, output[-3000:]
