"""What tidi's benchmarks share: databases, servers, the load generators and their checks.

Every benchmark keeps these rules; this module enforces them where it runs the load:

- only successful requests count: one non-2xx status, socket error or timeout fails the
  run (`Failed`: exit status 1, saying what went wrong);
- no id is ever used twice: each submit takes a fresh draft, and a run that uses up the
  drafts prepared for it fails instead of re-submitting;
- rows are counted before and after the measured window (after the warm-up, once the
  database is quiet) and must equal the successful requests of that window;
- both sides of a comparison get the same database pool (size + overflow) and the same
  number of server processes (uvicorn's own `--workers`);
- latency is measured to the commit (a response leaves after its commit).

Needs PostgreSQL and Redis (TEST_POSTGRES_URL / TEST_REDIS_URL, default 127.0.0.1) and,
for HTTP load, `wrk` (Debian package: apt-get install -y wrk).
"""

import argparse
import asyncio
import json
import math
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BASE = ADMIN_URL.rsplit("/", 1)[0]
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
LOAD_SCRIPT = ROOT / "bench" / "load.lua"


class Failed(SystemExit):
    """A run that broke a rule or could not proceed: exit status 1, with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"benchmark failed: {reason}")


def dsn(database: str) -> str:
    """asyncpg's URL of a bench database."""
    return f"{BASE}/{database}"


def sqlalchemy_url(database: str) -> str:
    """tidi's DATABASE_URL for a bench database."""
    return dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)


def redis_url(db: int) -> str:
    """The URL of a Redis database number (each benchmark has its own)."""
    return f"{REDIS_BASE}/{db}"


async def recreate(name: str, *, template: str | None = None) -> None:
    """Drop and create the database `name` (a copy of `template` if given)."""
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        copy = f' TEMPLATE "{template}"' if template else ""
        await connection.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await connection.close()


async def flush_redis(url: str) -> None:
    """Empty the bench's Redis database."""
    redis = Redis.from_url(url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()


def tidi_env(database: str, redis: str, **extra: str) -> dict[str, str]:
    """The environment of a tidi process on a bench database (tidi's code from ROOT)."""
    replaced = ("DATABASE_URL", "REDIS_URL", "WORKER_QUEUE_NAME")
    kept = {k: v for k, v in os.environ.items() if k not in replaced}
    return kept | {
        "DATABASE_URL": sqlalchemy_url(database),
        "REDIS_URL": redis,
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "WARNING",
        "ENVIRONMENT": "test",
        **extra,
    }


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(
    app: str,
    *,
    port: int,
    workers: int,
    env: dict[str, str],
    factory: bool = False,
    root: Path = ROOT,
) -> subprocess.Popen[bytes]:
    """`uvicorn APP --workers N` on `port`, the code of the checkout at `root`; returns once
    every worker process has started."""
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "info", "--no-access-log"]
    command += ["--factory"] if factory else []
    descriptor, name = tempfile.mkstemp(prefix="tidi-bench-server-", suffix=".log")
    log = Path(name)
    with os.fdopen(descriptor, "wb") as sink:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=sink, stderr=sink)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Failed(f"{app} exited at start-up; see {log}")
        # Each worker logs this once its lifespan (pools opened) is done.
        if log.read_text(errors="replace").count("Application startup complete") >= workers:
            return process
        time.sleep(0.2)
    stop(process)
    raise Failed(f"{app} did not start within 90 s; see {log}")


class Served:
    """One app under `uvicorn --workers N` on a port of its own (the code of the checkout
    at `root`), started and stopped by a benchmark that loads several side by side."""

    def __init__(self, app: str, env: dict[str, str], *, root: Path = ROOT) -> None:
        self.app, self.env, self.root = app, env, root
        self.server: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def start(self, workers: int) -> None:
        port = free_port()
        factory = self.app.endswith("factory")
        self.server = serve(
            self.app, port=port, workers=workers, env=self.env, factory=factory, root=self.root
        )
        self.base_url = f"http://127.0.0.1:{port}"

    @property
    def process(self) -> subprocess.Popen[bytes]:
        if self.server is None:
            raise Failed(f"{self.app} is not started")
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            stop(self.server)
            self.server = None


def side_by_side_arguments(
    description: str, *, workers: int, pool_size: int, max_overflow: int
) -> argparse.ArgumentParser:
    """The options of a benchmark that loads its sides in alternating windows (its own
    options are added by the caller)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=15, help="measured, per side and phase")
    parser.add_argument("--rounds", type=int, default=3, help="windows per side, alternating")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured load before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=workers, help="uvicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--pool-size", type=int, default=pool_size, help="connections per process")
    parser.add_argument("--max-overflow", type=int, default=max_overflow, help="more under load")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout of tidi (git worktree add DIR REV) loaded as a third side",
    )
    return parser


def alternating(names: Sequence[str], rounds: int) -> list[str]:
    """The order of `rounds` windows of each side, the side going first alternating
    (a, b, b, a, a, b…), so that a drift of a shared machine's speed over the run weighs on
    every side alike."""
    order: list[str] = []
    for n in range(rounds):
        order += list(names) if n % 2 == 0 else list(reversed(names))
    return order


async def worker_ready(
    process: subprocess.Popen[bytes], health_file: Path, *, within: float = 30.0
) -> None:
    """Wait until a `tidi worker` process says it is ready in its health file (its workers
    run, PostgreSQL and Redis answer), so no timing starts during its start-up."""
    from services.worker.jobs.system import unready_reason

    deadline = time.monotonic() + within
    while (reason := unready_reason(health_file, beat_seconds=30)) is not None:
        if process.poll() is not None or time.monotonic() > deadline:
            raise Failed(f"worker not ready: {reason}")
        await asyncio.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server or worker started here (SIGTERM, then SIGKILL after 30 s)."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(server: subprocess.Popen[bytes]) -> dict[str, float]:
    """CPU time so far of the server's process tree, PostgreSQL's and Redis's (from /proc)."""
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


def per_request_ms(
    before: dict[str, float], after: dict[str, float], requests: int
) -> dict[str, float]:
    """CPU milliseconds per successful request, by process group."""
    return {
        name: round((after[name] - before[name]) * 1000 / max(requests, 1), 3) for name in after
    }


def require_wrk() -> None:
    """Fail at once, saying how to install it, when wrk is missing."""
    if shutil.which("wrk") is None:
        raise Failed("wrk is required: apt-get install -y wrk (Debian package)")


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int,
    server: subprocess.Popen[bytes],
    env: dict[str, str],
) -> dict[str, Any]:
    """Load `url` with wrk (bench/load.lua, configured by `env`) for `seconds`.

    Returns the successful requests, their rate, latency percentiles and CPU ms per request
    (server, PostgreSQL, Redis, wrk), and how many requests were still unanswered when
    wrk stopped (the server may still commit them). Any non-2xx status, socket error,
    timeout or used-up id list fails the run.
    """
    before, wrk_before = cpu_seconds(server), _children_cpu()
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    command += ["--timeout", "10s", "-s", str(LOAD_SCRIPT), url]
    run = subprocess.run(
        command,
        check=False,
        env=os.environ | env | {"THREADS": str(threads)},
        capture_output=True,
        text=True,
    )
    after, wrk_after = cpu_seconds(server), _children_cpu()
    lines = [row for row in run.stdout.splitlines() if row.startswith("JSON ")]
    if run.returncode != 0 or not lines:
        raise Failed(f"wrk failed ({run.returncode}): {run.stderr.strip() or run.stdout}")
    data = json.loads(lines[0][5:])
    _refuse_failures(url, data)
    ok = data["answered"]
    result = {
        "requests_ok": ok,
        "seconds": round(data["duration_us"] / 1e6, 2),
        "rps": round(ok / (data["duration_us"] / 1e6), 1),
        "unanswered_at_end": data["sent"] - data["answered"],
    }
    result |= {f"{q}_ms": round(data[f"{q}_us"] / 1000, 2) for q in ("p50", "p95", "p99", "max")}
    cpu = per_request_ms(before | {"wrk": wrk_before}, after | {"wrk": wrk_after}, ok)
    return result | {"cpu_ms_per_request": cpu}


def combined(windows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several `wrk` windows of one side as one: requests and seconds summed (the rate is
    their quotient), CPU per request weighted by requests, each latency percentile the
    worst window's; every window's own figures listed under `windows`."""
    ok = sum(w["requests_ok"] for w in windows)
    seconds = sum(w["seconds"] for w in windows)
    cpu = {
        name: round(sum(w["cpu_ms_per_request"][name] * w["requests_ok"] for w in windows) / ok, 3)
        for name in windows[0]["cpu_ms_per_request"]
    }
    worst = {f"{q}_ms": max(w[f"{q}_ms"] for w in windows) for q in ("p50", "p95", "p99", "max")}
    return {
        "requests_ok": ok,
        "seconds": round(seconds, 2),
        "rps": round(ok / seconds, 1),
        "unanswered_at_end": sum(w["unanswered_at_end"] for w in windows),
        **worst,
        "cpu_ms_per_request": cpu,
        "windows": [
            {"rps": w["rps"], "server_cpu_ms": w["cpu_ms_per_request"]["server"]} for w in windows
        ],
    }


def _refuse_failures(url: str, data: dict[str, Any]) -> None:
    if data["exhausted"]:
        raise Failed(
            f"{url}: the drafts prepared for this run ran out after {data['sent']} requests "
            "(the server went faster than planned): raise --max-rate"
        )
    errors = {name: n for name, n in data["errors"].items() if n}
    if errors:
        raise Failed(f"{url}: socket errors or timeouts {errors}, statuses {data['statuses']}")
    failed = {code: n for code, n in data["statuses"].items() if not code.startswith("2")}
    if failed or data["answered"] != data["requests"] or not data["answered"]:
        raise Failed(f"{url}: non-2xx responses {data['statuses']} of {data['requests']}")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def settled(count: Callable[[], Awaitable[dict[str, int]]]) -> dict[str, int]:
    """`count()` once two readings 0.3 s apart agree (requests still in flight landed)."""
    previous = await count()
    while True:
        await asyncio.sleep(0.3)
        current = await count()
        if current == previous:
            return current
        previous = current


def check_rows(
    before: dict[str, int], after: dict[str, int], ok: int, unanswered: int = 0
) -> dict[str, int]:
    """The rows the window wrote; fails unless each count grew by the successful requests.

    `unanswered` requests (sent, but wrk had stopped before their response) may have been
    committed too: each count must lie between `ok` and `ok + unanswered`.
    """
    grown = {name: after[name] - before[name] for name in after}
    wrong = {name: n for name, n in grown.items() if not ok <= n <= ok + unanswered}
    if wrong:
        raise Failed(f"rows written {wrong} for {ok} successful requests ({unanswered} unanswered)")
    return grown


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (nearest rank) of `values`, rounded to 0.01."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(len(ordered) * q / 100) - 1)], 2)


def latency_summary(values: Sequence[float]) -> dict[str, float | None]:
    """p50/p95/p99/max of millisecond latencies."""
    summary = {f"p{q}_ms": percentile(values, q) for q in (50, 95, 99)}
    return summary | {"max_ms": round(max(values), 2) if values else None}


async def at_rate(
    base_url: str,
    paths: Sequence[str],
    *,
    rate: float,
    headers: dict[str, str],
    connections: int,
    sent_at: dict[str, float] | None = None,
    record: list[float] | None = None,
) -> dict[str, Any]:
    """POST to each of `paths` on a fixed schedule: request i at start + i / rate.

    Requests are started on schedule whatever the earlier ones take (an open loop over at
    most `connections` keep-alive connections; a request due while all are busy waits for
    one), and each latency runs from its scheduled start to its response, so a server (or
    client) falling behind shows in the latencies instead of lowering the rate. The client
    speaks HTTP/1.1 on raw asyncio streams: a Python HTTP library costs more CPU per request
    than the server under test, on the same cores. `sent_at` receives each path's sending
    instant (`perf_counter`), `record` each successful request's latency (ms). Any non-2xx
    status or transport error fails the run.
    """
    url = httpx.URL(base_url)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(None)  # a slot: connected on first use
    latencies: list[float] = []
    failures: dict[str, int] = {}

    async def one(path: str, due: float) -> None:
        stream = await idle.get()
        try:
            if stream is None:
                stream = await asyncio.open_connection(url.host, url.port)
            reader, writer = stream
            if sent_at is not None:
                sent_at[path] = time.perf_counter()
            request = f"POST {path} HTTP/1.1\r\nHost: {url.host}\r\n{head}Content-Length: 0\r\n\r\n"
            writer.write(request.encode())
            status = await _read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1
            idle.put_nowait(None)
            return
        idle.put_nowait(stream)
        if not 200 <= status < 300:
            failures[str(status)] = failures.get(str(status), 0) + 1
            return
        latencies.append((time.perf_counter() - due) * 1000)

    tasks, start = [], time.perf_counter() + 0.05
    for index, path in enumerate(paths):
        due = start + index / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(path, due)))
    await asyncio.gather(*tasks)
    while not idle.empty():
        stream = idle.get_nowait()
        if stream is not None:
            stream[1].close()
    if failures:
        raise Failed(f"{base_url}: {failures} failures of {len(paths)} requests at {rate}/s")
    if record is not None:
        record += latencies
    return {"requests_ok": len(latencies), "rate_per_s": round(rate, 1)} | latency_summary(
        latencies
    )


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response with a Content-Length body; its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


def normalized(sql: str) -> str:
    """A statement with its whitespace collapsed (how it is compared)."""
    return " ".join(sql.split())


def check_statements(name: str, captured: Sequence[str], expected: Sequence[str]) -> None:
    """Fail, printing what tidi sends now, unless `captured` are the `expected` statements."""
    if [normalized(s) for s in captured] == [normalized(s) for s in expected]:
        return
    for number, statement in enumerate(captured, 1):
        print(f"-- tidi's statement {number} of {name}:\n{statement}\n", file=sys.stderr)
    raise Failed(
        f"tidi's statements for {name} are no longer those of bench/tidi_statements.py "
        "(printed above): update them, and bench/bare_app.py's parameters"
    )
