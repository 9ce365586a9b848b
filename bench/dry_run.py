"""A ruleset dry-run over a whole fund, from the POST that starts it to its completed result.

The database is prepared as `bench/rescoring.py` prepares it (N fonds-friches applications,
half on a former industrial site), with an admin key. ONE `tidi worker` process is started
and seen ready (its health file) before the clock starts. A draft (industrial sites
excluded, smaller area for full points) is created, then
`POST /v1/funds/fonds-friches/rulesets/{n}/dry-run` is sent through the API (the API commits,
then enqueues the first batch), and the result is read every 0.2 s until it is completed.
Only a completed result whose `done` and `total` equal N counts; any non-2xx response fails
the run. The figures (seconds from the POST to the completed result, applications per
second, the worker's peak RSS and CPU, the report's outcome changes) are printed as JSON.

    .venv/bin/python bench/dry_run.py --count 100000

Needs PostgreSQL and Redis (bench/harness.py). It drops and recreates the database
`tidi_bench_rescore` and flushes Redis database 12.
"""

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
from httpx import ASGITransport, AsyncClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import backend_cpu, harness, rescoring
from bench.rescoring import NAME, QUEUE, REDIS_URL, TIDI, settings

FUND = "fonds-friches"


async def admin_key() -> str:
    """A new admin key's secret."""
    engine = TIDI.create_engine(settings())
    async with TIDI.create_sessionmaker(engine)() as session:
        _, secret = await TIDI.auth_service.create_key(
            session, TIDI.SYSTEM, TIDI.ApiKeyCreate(name="bench-admin", role=TIDI.Role.ADMIN)
        )
        await session.commit()
    await engine.dispose()
    return str(secret)


async def draft() -> int:
    """A draft of the fund's ruleset that changes outcomes and scores; its number."""
    document = TIDI.excluding_industrial_sites()
    document["params"]["area_full_score_ha"] = 8
    engine = TIDI.create_engine(settings())
    async with TIDI.create_sessionmaker(engine)() as session:
        version = await TIDI.rulesets.create_draft(
            session, TIDI.SYSTEM, FUND, TIDI.Ruleset.model_validate(document)
        )
        await session.commit()
        number = int(version.version)
    await engine.dispose()
    return number


async def dry_run(secret: str, number: int, limit_s: float) -> tuple[float, dict[str, Any]]:
    """POST the dry-run, then read it until completed; (seconds, the completed result)."""
    app = TIDI.create_app(settings())
    headers = {"Authorization": f"Bearer {secret}"}
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://b") as client,
    ):
        started = time.perf_counter()
        response = await client.post(f"/v1/funds/{FUND}/rulesets/{number}/dry-run", headers=headers)
        if not response.is_success:
            raise harness.Failed(f"the dry-run's POST: {response.status_code} {response.text}")
        location = response.headers["Location"]
        while time.perf_counter() - started < limit_s:
            read = await client.get(location, headers=headers)
            if not read.is_success:
                raise harness.Failed(f"reading the dry-run: {read.status_code} {read.text}")
            result: dict[str, Any] = read.json()
            if result["state"] == "completed":
                return time.perf_counter() - started, result
            await asyncio.sleep(0.2)
    raise harness.Failed(f"the dry-run was not completed after {limit_s} s")


class Sampler(threading.Thread):
    """The peak RSS of a process tree, sampled every 0.2 s until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.process, self.peak, self.stopped = psutil.Process(pid), 0, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            try:
                rss = self.process.memory_info().rss + sum(
                    c.memory_info().rss for c in self.process.children(recursive=True)
                )
            except psutil.Error:
                continue
            self.peak = max(self.peak, rss)


def ready_worker(health: Path) -> subprocess.Popen[bytes]:
    """A `tidi worker` process, returned once its health file says it runs."""
    env = harness.tidi_env(NAME, REDIS_URL, WORKER_QUEUE_NAME=QUEUE, WORKER_HEALTH_FILE=str(health))
    log = (health.parent / "worker.log").open("wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "tidi"), "worker"],
        cwd=harness.ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while not health.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            harness.stop(process)
            raise harness.Failed(f"the worker did not start: see {log.name}")
        time.sleep(0.1)
    return process


def main() -> None:
    """Prepare, start a worker, time the dry-run; print the figures, then check them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--limit", type=float, default=600, help="Give up after this long.")
    args = parser.parse_args()

    asyncio.run(harness.recreate(NAME))
    with ThreadPoolExecutor(1) as pool:  # Alembic runs its own event loop
        pool.submit(TIDI.upgrade, harness.sqlalchemy_url(NAME)).result()
    template = asyncio.run(rescoring.template_application(asyncio.run(rescoring.seed())))
    asyncio.run(rescoring.clone(template, args.count))
    secret = asyncio.run(admin_key())
    number = asyncio.run(draft())
    asyncio.run(harness.flush_redis(REDIS_URL))

    process = ready_worker(Path(tempfile.mkdtemp(prefix="tidi-bench-dry-run-")) / "health.json")
    sampler = Sampler(process.pid)
    sampler.start()
    cpu_before, backends_before = harness.cpu_seconds(process), backend_cpu.now(NAME)
    try:
        seconds, result = asyncio.run(dry_run(secret, number, args.limit))
        cpu = harness.per_request_ms(cpu_before, harness.cpu_seconds(process), 1)
        postgres_cpu = backend_cpu.since(backends_before, NAME)
    finally:
        sampler.stopped.set()
        harness.stop(process)
    report = result["report"] or {}
    figures = {
        "applications": args.count,
        "post_to_completed_s": round(seconds, 2),
        "applications_per_s": round(result["done"] / seconds, 1),
        "done": result["done"],
        "total": result["total"],
        "peak_rss_sampled_mib": round(sampler.peak / 2**20, 1),
        # CPU seconds in the run: the worker's, and the bench database's PostgreSQL backends'
        "worker_cpu_s": round(cpu["server"] / 1000, 1),
        "postgres_cpu_s": round(postgres_cpu, 1),
        "report": {k: v for k, v in report.items() if k not in ("items", "changes")},
    }
    print(json.dumps(figures, indent=2, default=str))
    if result["done"] != args.count or result["total"] != args.count:
        raise harness.Failed(
            f"the completed result counts {result['done']} of {result['total']} applications, "
            f"not {args.count}"
        )


if __name__ == "__main__":
    main()
