"""Running the workers of one process together: main queue, webhook first attempts, retries."""

import asyncio
import signal
from typing import Any

from arq.worker import Worker
from prometheus_client import start_http_server

from services.worker.main import all_worker_options
from shared.settings import Settings


def build_workers(settings: Settings, *, burst: bool = False, **overrides: Any) -> list[Worker]:
    """One arq worker per queue, signals left to the caller."""
    return [
        Worker(**(options | overrides), burst=burst, handle_signals=False)
        for options in all_worker_options(settings)
    ]


async def run_workers(workers: list[Worker]) -> None:
    """Run the workers until one stops (burst mode: all done), then close them all."""
    tasks = [asyncio.create_task(worker.async_run()) for worker in workers]
    try:
        await asyncio.wait(tasks, return_when=asyncio.ALL_COMPLETED)
    finally:
        await close_workers(workers)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def close_workers(workers: list[Worker]) -> None:
    """Stop picking jobs, cancel running ones (their leases expire and they run again)."""
    await asyncio.gather(*(worker.close() for worker in workers), return_exceptions=True)


def serve_workers(settings: Settings, *, burst: bool = False) -> None:
    """`tidi worker`: run until SIGINT or SIGTERM; its job and webhook attempt metrics are
    served on `API_HOST`:`WORKER_METRICS_PORT` when that is set."""
    if settings.WORKER_METRICS_PORT is not None:
        start_http_server(settings.WORKER_METRICS_PORT, addr=settings.API_HOST)

    async def main() -> None:
        workers = build_workers(settings, burst=burst)
        loop = asyncio.get_running_loop()
        runner = asyncio.create_task(run_workers(workers))
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, runner.cancel)
        try:
            await runner
        except asyncio.CancelledError:
            await close_workers(workers)

    asyncio.run(main())
