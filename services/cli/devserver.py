"""The API server of `tidi dev`: stopped by a signal, it lets the command finish in order."""

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

import uvicorn


class DevServer(uvicorn.Server):
    """uvicorn's server, stopped by SIGINT or SIGTERM without re-raising the signal after
    its shutdown (uvicorn does, and the exception then cut short the closing of the
    worker's pools): `tidi dev` closes the worker and the embedded servers in order, then
    exits with the signal's conventional status itself.
    """

    stopped_by: int | None = None
    """The signal that stopped the server, if one did."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """While serving, SIGINT and SIGTERM ask for a graceful shutdown."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self._stop) for sig in stops}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopped_by = self.stopped_by or signum
        self.handle_exit(signum, frame)
