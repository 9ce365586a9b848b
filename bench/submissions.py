"""Submission benchmark: tidi's submit endpoint beside a bare FastAPI + asyncpg insert.

Both run under the same multi-process uvicorn server (`services.cli.serving`, as `tidi
serve` runs the API) with the same number of worker processes on this machine, loaded
by wrk with the same number of connections; the figures are printed as JSON, with the
CPU time per request of the server processes, PostgreSQL, Redis and wrk.

    .venv/bin/python bench/submissions.py --seconds 15 --connections 32

Needs PostgreSQL and Redis (TEST_POSTGRES_URL / TEST_REDIS_URL, default 127.0.0.1) and
`wrk` (Debian package). It creates and drops the databases `tidi_bench` and `tidi_bare`.
"""

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/13"
BASE = ADMIN_URL.rsplit("/", 1)[0]


async def recreate(name: str) -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await connection.execute(f'CREATE DATABASE "{name}"')
    await connection.close()


async def prepare_tidi(drafts: int) -> tuple[str, list[str]]:
    """Migrated, seeded database with `drafts` complete draft applications; returns (key, ids)."""
    from shared.auth.models import Role
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.reference.seed import seed_geography, seed_programme
    from shared.settings import Settings
    from tests.fixtures.builders import application_body, project_body

    settings = Settings(
        DATABASE_URL=f"{BASE.replace('postgresql://', 'postgresql+asyncpg://')}/tidi_bench",
        REDIS_URL=REDIS_URL,
        _env_file=None,
    )
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        await seed_geography(session)
        await seed_programme(session)
        await session.commit()
    from shared.auth import service as auth_service
    from shared.auth.principal import SYSTEM
    from shared.auth.schemas import ApiKeyCreate
    from shared.territories import service as territory_service
    from shared.territories.schemas import TerritoryCreate

    async with create_sessionmaker(engine)() as session:
        territory = await territory_service.create(
            session,
            SYSTEM,
            TerritoryCreate(
                code="ti-bench", name="Bench", region_code="53", epci_sirens=["245614433"]
            ),
        )
        _, secret = await auth_service.create_key(
            session,
            SYSTEM,
            ApiKeyCreate(name="bench", role=Role.TERRITORY, territory_id=territory.id),
        )
        await session.commit()
    await engine.dispose()

    # One template project + draft made through the real services, then cloned in SQL.
    from httpx import ASGITransport, AsyncClient

    from services.api.main import create_app

    app = create_app(settings)
    headers = {"Authorization": f"Bearer {secret}"}
    transport = ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=transport, base_url="http://b") as client,
    ):
        project = (await client.post("/v1/projects", json=project_body(), headers=headers)).json()
        for action in ("submit", "accept"):
            project = (
                await client.post(
                    f"/v1/projects/{project['id']}/{action}",
                    headers=headers | {"If-Match": f'"{project["version"]}"'},
                )
            ).json()
        draft = await client.post(
            "/v1/applications", json=application_body(project["id"]), headers=headers
        )
        template = draft.json()["id"]
    connection = await asyncpg.connect(f"{BASE}/tidi_bench")
    await connection.execute(
        """
        CREATE TEMP TABLE clones AS
        SELECT gen_random_uuid() AS project_id, gen_random_uuid() AS application_id
        FROM generate_series(1, $1);
        INSERT INTO projects SELECT c.project_id, p.territory_id, p.status, p.title, p.description,
            p.nature, p.priorities, p.holder, p.holder_siren, p.site, p.site_region_code,
            p.investment_total_cents, p.planned_start, p.planned_end, p.jobs_created,
            p.jobs_maintained, p.relocation, p.is_collective, p.contacts, p.submitted_at,
            p.created_by_key_id, p.created_at, p.updated_at, p.version
        FROM clones c, projects p WHERE p.id = $2::uuid;
        """.replace("$1", str(drafts)).replace("$2", f"'{project['id']}'")
    )
    columns = await connection.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'applications' ORDER BY ordinal_position"
    )
    names = [r["column_name"] for r in columns]
    select_list = ", ".join(
        {"id": "c.application_id", "project_id": "c.project_id"}.get(n, f"a.{n}") for n in names
    )
    await connection.execute(
        f"INSERT INTO applications ({', '.join(names)}) SELECT {select_list} "
        f"FROM clones c, applications a WHERE a.id = '{template}'::uuid"
    )
    ids = [
        str(r["application_id"])
        for r in await connection.fetch("SELECT application_id FROM clones")
    ]
    await connection.close()
    return secret, ids


async def prepare_bare() -> None:
    connection = await asyncpg.connect(f"{BASE}/tidi_bare")
    await connection.execute(
        "CREATE TABLE bare_rows (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), doc jsonb NOT NULL)"
    )
    await connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(
    app: str, port: int, workers: int, env: dict[str, str], factory: bool
) -> subprocess.Popen[bytes]:
    # Both apps under the same server: tidi's multi-process uvicorn launcher, one
    # SO_REUSEPORT socket per process (connections spread evenly over the processes).
    command = [sys.executable, "-m", "services.cli.serving", app, "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning"]
    if factory:
        command.append("--factory")
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # Every process listening (connections opened before would all go to the first).
        if listeners(port) >= workers:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
                return process
            except OSError:
                pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"{app} did not start")


def listeners(port: int) -> int:
    """How many sockets listen on `port` (from /proc/net/tcp; state 0A is LISTEN)."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(
        1
        for row in rows
        if (fields := row.split())[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port
    )


def cpu_seconds(server: subprocess.Popen[bytes]) -> dict[str, float]:
    """CPU time so far of the server's processes, PostgreSQL's and Redis's (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    usage: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        usage[int(entry.name)] = (name, (int(fields[11]) + int(fields[12])) / tick)

    def in_server(pid: int) -> bool:
        while pid > 1:
            if pid == server.pid:
                return True
            pid = parents.get(pid, 1)
        return False

    totals = {"server": 0.0, "postgres": 0.0, "redis": 0.0}
    for pid, (name, seconds) in usage.items():
        if in_server(pid):
            totals["server"] += seconds
        elif name == "postgres":
            totals["postgres"] += seconds
        elif name.startswith("redis-server"):
            totals["redis"] += seconds
    return totals


def wrk(
    script: str,
    url: str,
    seconds: int,
    connections: int,
    threads: int,
    env: dict[str, str],
    server: subprocess.Popen[bytes],
) -> dict[str, Any]:
    """Load `url` with wrk; throughput, latency percentiles and CPU milliseconds per request."""
    before = cpu_seconds(server)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "-s", script, url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    after = cpu_seconds(server)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(row for row in output.splitlines() if row.startswith("JSON "))
    data = json.loads(line[5:])
    data["rps"] = round(data["requests"] / (data["duration_us"] / 1e6), 1)
    for key in ("p50", "p95", "p99", "max"):
        data[f"{key}_ms"] = round(data.pop(f"{key}_us") / 1000, 2)
    load = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    per_request = {name: after[name] - before[name] for name in after} | {"wrk": load}
    data["cpu_ms_per_request"] = {
        name: round(seconds * 1000 / max(data["requests"], 1), 3)
        for name, seconds in per_request.items()
    }
    return data


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--drafts", type=int, default=40_000)
    parser.add_argument(
        "--warmup",
        type=int,
        default=5,
        help="seconds of the same load before each measured run (not measured)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is required: apt-get install wrk")

    asyncio.run(recreate("tidi_bench"))
    asyncio.run(recreate("tidi_bare"))
    from shared.db.migrate import upgrade

    upgrade(f"{BASE.replace('postgresql://', 'postgresql+asyncpg://')}/tidi_bench")
    secret, ids = asyncio.run(prepare_tidi(args.drafts))
    asyncio.run(prepare_bare())

    workdir = Path(tempfile.mkdtemp(prefix="tidi-bench-"))
    # A quarter of the drafts for the warm-up, the rest for the measured run.
    warmup_ids, ids_file = workdir / "warmup-ids.txt", workdir / "ids.txt"
    warmup_ids.write_text("\n".join(ids[: len(ids) // 4]) + "\n")
    ids_file.write_text("\n".join(ids[len(ids) // 4 :]) + "\n")
    body_file = workdir / "body.json"
    body_file.write_text(json.dumps({"application": ids[0], "payload": "x" * 1500}))

    base_env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    tidi_env = base_env | {
        "DATABASE_URL": f"{BASE.replace('postgresql://', 'postgresql+asyncpg://')}/tidi_bench",
        "REDIS_URL": REDIS_URL,
        "LOG_LEVEL": "WARNING",
        "ENVIRONMENT": "test",
    }
    bare_env = base_env | {"BARE_DSN": f"{BASE}/tidi_bare", "PYTHONPATH": str(ROOT / "bench")}
    results: dict[str, Any] = {
        "connections": args.connections,
        "workers": args.workers,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
    }

    port = free_port()
    bare = start("bare_app:app", port, args.workers, bare_env, factory=False)
    try:
        if args.warmup:
            wrk(
                str(ROOT / "bench/bare.lua"),
                f"http://127.0.0.1:{port}/bare",
                args.warmup,
                args.connections,
                args.threads,
                base_env | {"BODY_FILE": str(body_file)},
                bare,
            )
        results["bare"] = wrk(
            str(ROOT / "bench/bare.lua"),
            f"http://127.0.0.1:{port}/bare",
            args.seconds,
            args.connections,
            args.threads,
            base_env | {"BODY_FILE": str(body_file)},
            bare,
        )
    finally:
        bare.terminate()
        bare.wait()

    port = free_port()
    tidi = start("services.api.main:app_factory", port, args.workers, tidi_env, factory=True)
    try:
        if args.warmup:
            wrk(
                str(ROOT / "bench/submit.lua"),
                f"http://127.0.0.1:{port}",
                args.warmup,
                args.connections,
                args.threads,
                base_env
                | {"IDS_FILE": str(warmup_ids), "API_KEY": secret, "THREADS": str(args.threads)},
                tidi,
            )
        results["tidi_submit"] = wrk(
            str(ROOT / "bench/submit.lua"),
            f"http://127.0.0.1:{port}",
            args.seconds,
            args.connections,
            args.threads,
            base_env | {"IDS_FILE": str(ids_file), "API_KEY": secret, "THREADS": str(args.threads)},
            tidi,
        )
    finally:
        tidi.terminate()
        tidi.wait()

    async def verify() -> dict[str, int]:
        connection = await asyncpg.connect(f"{BASE}/tidi_bench")
        submitted = await connection.fetchval(
            "SELECT count(*) FROM applications WHERE status = 'submitted'"
        )
        events = await connection.fetchval(
            "SELECT count(*) FROM events WHERE type = 'application.submitted'"
        )
        audits = await connection.fetchval(
            "SELECT count(*) FROM audit_entries WHERE action = 'application.submit'"
        )
        await connection.close()
        return {"submitted_rows": submitted, "submitted_events": events, "submit_audits": audits}

    results["tidi_submit"] |= asyncio.run(verify())
    results["throughput_ratio"] = round(results["tidi_submit"]["rps"] / results["bare"]["rps"], 3)
    print(json.dumps(results, indent=2))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
