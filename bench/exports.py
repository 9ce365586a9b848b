"""Streaming a 100,000-application export: peak RSS of the API process, CSV and XLSX.

A fresh database `tidi_bench_exports` is migrated and seeded; one funded application (with
its project, award, signed agreement and a payment) is written, then cloned in SQL (each
clone with its own project, submitted over two years) into N applications. ONE API process
(`uvicorn --factory services.api.main:create_app`, as `tidi serve` runs it) serves
`GET /v1/exports/applications` to an admin key, once as CSV and once as XLSX; the process's
RSS (with its children) is sampled every 20 ms from before the request to the last byte.
The figures (rows read back, bytes, time to the first byte and to the last, baseline and
peak RSS) are printed as JSON; the run fails when a file does not hold the N rows or when
the peak RSS reaches the limit (200 MB by default).

    .venv/bin/python bench/exports.py --count 100000

Needs PostgreSQL and Redis (bench/harness.py). It drops and recreates the database
`tidi_bench_exports` and uses Redis database 13.
"""

import argparse
import asyncio
import contextlib
import csv
import json
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import openpyxl
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

NAME = "tidi_bench_exports"
DSN = harness.dsn(NAME)
REDIS_URL = harness.redis_url(13)
MIB = 2**20


def _tidi() -> SimpleNamespace:
    """tidi's internals this benchmark calls (the one place to adapt when they move)."""
    from migrations.commands import upgrade
    from shared.auth import service as auth_service
    from shared.auth.schemas import ApiKeyCreate
    from shared.budgets.models import Financer
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.principal import SYSTEM, Role
    from shared.seeding.service import seed_geography, seed_programme
    from shared.settings import Settings
    from shared.territories import service as territory_service
    from shared.territories.schemas import TerritoryCreate
    from tests.stats.dataset import PONTIVY, add_application, add_commitment, add_project, at

    return SimpleNamespace(
        upgrade=upgrade,
        auth_service=auth_service,
        ApiKeyCreate=ApiKeyCreate,
        Financer=Financer,
        create_engine=create_engine,
        create_sessionmaker=create_sessionmaker,
        SYSTEM=SYSTEM,
        Role=Role,
        seed_geography=seed_geography,
        seed_programme=seed_programme,
        Settings=Settings,
        territory_service=territory_service,
        TerritoryCreate=TerritoryCreate,
        PONTIVY=PONTIVY,
        add_application=add_application,
        add_commitment=add_commitment,
        add_project=add_project,
        at=at,
    )


TIDI = _tidi()


async def prepare(count: int) -> str:
    """Seed, write the template application, clone it; the admin key's secret."""
    settings = TIDI.Settings(DATABASE_URL=harness.sqlalchemy_url(NAME), _env_file=None)
    engine = TIDI.create_engine(settings)
    async with TIDI.create_sessionmaker(engine)() as session:
        await TIDI.seed_geography(session)
        await TIDI.seed_programme(session)
        territory = await TIDI.territory_service.create(
            session,
            TIDI.SYSTEM,
            TIDI.TerritoryCreate(
                code="ti-bench", name="Bench", region_code="53", epci_sirens=["245614433"]
            ),
        )
        _, secret = await TIDI.auth_service.create_key(
            session, TIDI.SYSTEM, TIDI.ApiKeyCreate(name="bench", role=TIDI.Role.ADMIN)
        )
        template = await _template(session, territory.id)
        await session.commit()
    await engine.dispose()
    await _clone(template, count)
    return str(secret)


async def _template(session: Any, territory_id: Any) -> str:
    project = await TIDI.add_project(
        session, territory_id=territory_id, site=TIDI.PONTIVY, jobs=(12, 30), investment=900_000
    )
    application = await TIDI.add_application(
        session,
        project,
        fund="fonds-acceleration",
        status="funded",
        submitted_at=TIDI.at("2026-01-10"),
        requested=6_000_000,
        decided=("approved", TIDI.at("2026-02-09")),
    )
    application.awarded_cents = 5_000_000
    application.decision = {
        **application.decision,
        "aid_form": "subsidy",
        "regime": "gber_art17_sme",
    }
    application.agreement = {"signed_on": "2026-02-20", "reference": "CONV-BENCH"}
    await TIDI.add_commitment(
        session,
        application,
        financer=TIDI.Financer.STATE,
        amount=5_000_000,
        created_at=TIDI.at("2026-02-09"),
        payments=((2_000_000, date(2026, 3, 5)),),
    )
    await session.flush()
    return str(application.id)


async def _clone(template: str, count: int) -> None:
    """`count - 1` copies of the template, each with its own project, in plain SQL."""
    connection = await asyncpg.connect(DSN)
    try:
        await connection.execute(
            f"""
            CREATE TEMP TABLE clones AS
            SELECT gen_random_uuid() AS project_id, gen_random_uuid() AS application_id, n
            FROM generate_series(2, {count}) AS n;
            INSERT INTO projects SELECT c.project_id, p.territory_id, p.status,
                p.title || ' ' || c.n, p.description, p.nature, p.priorities, p.holder,
                p.holder_siren, p.site, p.site_region_code, p.investment_total_cents,
                p.planned_start, p.planned_end, p.jobs_created, p.jobs_maintained,
                p.relocation, p.is_collective, p.contacts, p.submitted_at,
                p.created_by_key_id, p.created_at, p.updated_at, p.version
            FROM clones c, projects p, applications a
            WHERE a.id = '{template}'::uuid AND p.id = a.project_id;
            """
        )
        names = [
            r["column_name"]
            for r in await connection.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'applications' AND is_generated = 'NEVER' "
                "ORDER BY ordinal_position"
            )
        ]
        special = {
            "id": "c.application_id",
            "project_id": "c.project_id",
            "submitted_at": "a.submitted_at - make_interval(mins => c.n * 10)",
            "requested_amount_cents": "a.requested_amount_cents + c.n * 100",
        }
        select_list = ", ".join(special.get(n, f"a.{n}") for n in names)
        await connection.execute(
            f"INSERT INTO applications ({', '.join(names)}) SELECT {select_list} "
            f"FROM clones c, applications a WHERE a.id = '{template}'::uuid"
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


class RssSampler:
    """Samples a process tree's RSS in a thread until stopped; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        self.process = psutil.Process(pid)
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> int:
        """The tree's RSS now, in bytes."""
        tree = [self.process, *self.process.children(recursive=True)]
        return sum(p.memory_info().rss for p in tree)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self.now())
            time.sleep(self.every)

    def __enter__(self) -> "RssSampler":
        self.peak = self.now()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def download(url: str, secret: str, fmt: str, target: Path) -> dict[str, float]:
    """Stream the export into `target`; byte count and timings."""
    started = time.perf_counter()
    first = None
    size = 0
    headers = {"Authorization": f"Bearer {secret}"}
    timeout = httpx.Timeout(600, connect=10)
    async with (
        httpx.AsyncClient(base_url=url, timeout=timeout) as client,
        client.stream(
            "GET", "/v1/exports/applications", params={"format": fmt}, headers=headers
        ) as response,
    ):
        if response.status_code != 200:
            raise harness.Failed(f"{fmt}: {response.status_code} {await response.aread()!r}")
        with target.open("wb") as sink:
            async for chunk in response.aiter_bytes():
                first = first or time.perf_counter()
                size += len(chunk)
                sink.write(chunk)
    ended = time.perf_counter()
    return {
        "bytes": size,
        "first_byte_s": round((first or ended) - started, 2),
        "total_s": round(ended - started, 2),
    }


def rows_in(path: Path, fmt: str) -> int:
    """Data rows of a downloaded export (its header excluded)."""
    if fmt == "csv":
        with path.open(newline="", encoding="utf-8") as source:
            return sum(1 for _ in csv.reader(source)) - 1
    workbook = openpyxl.load_workbook(path, read_only=True)
    try:
        return sum(1 for _ in workbook["applications"].iter_rows(min_row=2, values_only=True))
    finally:
        workbook.close()


def measure(secret: str, count: int) -> dict[str, Any]:
    """One API process; each format exported once while its RSS is sampled."""
    port = harness.free_port()
    env = harness.tidi_env(NAME, REDIS_URL, LOG_LEVEL="WARNING")
    server = harness.serve(
        "services.api.main:create_app", port=port, workers=1, env=env, factory=True
    )
    url = f"http://127.0.0.1:{port}"
    figures: dict[str, Any] = {}
    work = Path(tempfile.mkdtemp(prefix="tidi-bench-exports-"))
    try:
        for fmt in ("csv", "xlsx"):
            target = work / f"applications.{fmt}"
            with RssSampler(server.pid) as sampler:
                baseline = sampler.peak
                timing = asyncio.run(download(url, secret, fmt, target))
            rows = rows_in(target, fmt)
            figures[fmt] = {
                "rows": rows,
                **timing,
                "baseline_rss_mib": round(baseline / MIB, 1),
                "peak_rss_mib": round(sampler.peak / MIB, 1),
            }
            target.unlink()
            if rows != count:
                raise harness.Failed(f"{fmt}: {rows} rows read back, {count} expected")
    finally:
        harness.stop(server)
    return figures


def main() -> None:
    """Prepare, export in both formats, print the figures; fail past the RSS limit."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--limit-mib", type=float, default=200 * 1_000_000 / MIB)
    args = parser.parse_args()

    asyncio.run(harness.recreate(NAME))
    with ThreadPoolExecutor(1) as pool:  # Alembic runs its own event loop
        pool.submit(TIDI.upgrade, harness.sqlalchemy_url(NAME)).result()
    asyncio.run(harness.flush_redis(REDIS_URL))
    started = time.perf_counter()
    secret = asyncio.run(prepare(args.count))
    prepared_s = round(time.perf_counter() - started, 1)
    figures = measure(secret, args.count)
    print(json.dumps({"applications": args.count, "prepare_s": prepared_s, **figures}, indent=2))
    over = [fmt for fmt, f in figures.items() if f["peak_rss_mib"] >= args.limit_mib]
    if over:
        raise harness.Failed(f"peak RSS at or over {args.limit_mib:.1f} MiB: {over}")


if __name__ == "__main__":
    main()
