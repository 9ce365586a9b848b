"""Serving an ASGI app in several processes, each accepting on its own listening socket.

uvicorn's own `--workers` shares one socket between the processes, and the first to wake
accepts every pending connection: with keep-alive clients one process can hold most of
them for their whole life while another idles. Here each process binds the port with
`SO_REUSEPORT` and the kernel spreads new connections evenly over the processes. The
parent restarts a process that dies and stops them all on SIGINT or SIGTERM.

    python -m services.cli.serving services.api.main:app_factory --factory --workers 2
"""

import argparse
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

logger = logging.getLogger("tidi.serve")

REUSE_PORT = hasattr(socket, "SO_REUSEPORT")
"""Whether this system spreads connections over sockets bound to one port (Linux, BSD)."""


def listening_socket(host: str, port: int, *, backlog: int = 2048) -> socket.socket:
    """A TCP socket listening on host:port that other processes may bind too."""
    sock = _bound_socket(host, port)
    sock.listen(backlog)
    return sock


def _bound_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def serve(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Run `app` (an import string) in `workers` processes; `options` go to uvicorn.Config."""
    if workers == 1 or not REUSE_PORT:
        import uvicorn

        uvicorn.run(app, host=host, port=port, workers=workers, **options)
        return
    _Supervisor(app, host, port, workers, options).run()


def _worker(app: str, host: str, port: int, options: dict[str, Any]) -> None:
    import uvicorn

    _stop_with_parent()
    config = uvicorn.Config(app, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[listening_socket(host, port)])


def _stop_with_parent() -> None:
    """Shut this worker down gracefully if the supervisor dies (even by SIGKILL), rather
    than go on serving orphaned."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class _Supervisor:
    """Starts the worker processes, restarts one that dies, stops all on a signal."""

    def __init__(
        self, app: str, host: str, port: int, workers: int, options: dict[str, Any]
    ) -> None:
        self.arguments = (app, host, port, options)
        self.count = workers
        self.context = multiprocessing.get_context("spawn")
        self.processes: list[BaseProcess] = []
        self.stopping = False

    def run(self) -> None:
        # Bound (not listening) here first: a port taken by another server fails now.
        probe = _bound_socket(self.arguments[1], self.arguments[2])
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._stop)
        self.processes = [self._start() for _ in range(self.count)]
        probe.close()
        try:
            while not self.stopping:
                for index, process in enumerate(self.processes):
                    if not process.is_alive() and not self.stopping:
                        logger.warning(
                            "worker %s exited (%s); starting another", process.pid, process.exitcode
                        )
                        self.processes[index] = self._start()
                time.sleep(0.5)
        finally:
            for process in self.processes:
                if process.is_alive() and process.pid is not None:
                    os.kill(process.pid, signal.SIGTERM)
            for process in self.processes:
                process.join(timeout=30)
                if process.is_alive():
                    process.kill()

    def _start(self) -> BaseProcess:
        process = self.context.Process(target=_worker, args=self.arguments, daemon=False)
        process.start()
        return process

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping = True


def main() -> None:
    """Command line: `APP [--factory] [--host H] [--port P] [--workers N]`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app", help="import string, module:attribute")
    parser.add_argument("--factory", action="store_true", help="APP is a factory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    serve(
        args.app,
        host=args.host,
        port=args.port,
        workers=args.workers,
        factory=args.factory,
        access_log=False,
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
