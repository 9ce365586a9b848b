"""Submission benchmark: tidi's submit beside a bare app sending the same statements.

Three endpoints, each under `uvicorn --workers N` (the same N), loaded by wrk with the same
connections, after an unmeasured warm-up:

- tidi: `POST /v1/applications/{id}/submit`;
- bare, same statements (bench/bare_app.py, same path): tidi's statements for a submit (its
  read, the reads of what the fund's rules need, its write), in the same order with the
  same parameters (bench/tidi_statements.py), and the same arq enqueue of the scoring job,
  so the ratio measures tidi's own overhead (evaluating the rules included), not SQL;
- bare insert: `POST /bare`, one JSONB row: the floor of a write request.

tidi and the same-statements bare serve side by side, each on its own copy of the database
and its own Redis database, and are loaded in turn: --seconds per side in --rounds windows
(tidi, bare, bare, tidi…), so that the drift of a shared machine's speed over a run weighs
on both alike. Then both are driven, again in alternating windows, at half of tidi's peak
rate by an asyncio client that starts request i at t0 + i / rate whatever the earlier ones
take, and times each from its scheduled start. The bare insert runs last, on its own.
Printed as JSON: successful requests per second, latency percentiles (wrk's: the worst
window's; the fixed rate's: over all its windows), CPU ms per request (server, PostgreSQL,
Redis, wrk or client), each window's rate, rows written, the ratios, the targets (submit
≥ 50 % of the same-statements bare's throughput; tidi's p99 < 50 ms at half of its peak
rate) and whether they are met.

    .venv/bin/python bench/submissions.py --seconds 15 --rounds 3

With `--baseline DIR` (another checkout of the same schema, e.g. `git worktree add DIR
REV`), tidi from that checkout is a third side in the same windows, on a third copy of the
database: `ratio_to_baseline` compares two versions of tidi like with like.

The rules of bench/harness.py hold; here in particular:
- each submit takes a fresh draft: drafts are prepared for --max-rate submits per second
  over every phase (warm-up included), and a side that uses up its share fails;
- before any load, tidi's statements for a submit are captured and compared with the bare
  app's, and the bare app's parameters of each statement with tidi's (count, kinds, JSON
  keys; the reads' values): any difference fails the run, printing tidi's statements;
- submitted applications, their events and audit entries and the queued scoring jobs are
  counted before and after each measured window: each must grow by the successful submits;
- both sides keep up to --pool-size + --max-overflow connections per process: the bare
  app's asyncpg pool from --pool-size to that, tidi's pool that many without overflow
  (SQLAlchemy closes an overflow connection on return, asyncpg keeps it).

Needs PostgreSQL, Redis and wrk (bench/harness.py). It drops and recreates the databases
`tidi_bench`, `tidi_bench_bare` and `tidi_bench_base` (copies of the first) and flushes
Redis databases 13, 9 and 8.
"""

import argparse
import asyncio
import itertools
import json
import math
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.bare_app import submit_statements
from bench.prepare import Prepared, prepare
from bench.tidi_statements import SUBMIT, SUBMIT_READ, SUBMIT_WRITE

DATABASE, BARE_DATABASE, BASE_DATABASE = "tidi_bench", "tidi_bench_bare", "tidi_bench_base"
REDIS, BARE_REDIS, BASE_REDIS = harness.redis_url(13), harness.redis_url(9), harness.redis_url(8)
QUEUE = "tidi:bench:submissions"
SUBMIT_PATH = "/v1/applications/%s/submit"
BARE_TABLE = "CREATE TABLE bare_rows (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), doc jsonb)"
TARGET_RATIO, TARGET_P99_MS = 0.5, 50.0


def main() -> None:
    """Run the sides and print the figures."""
    args = _arguments()
    harness.require_wrk()
    if args.seconds % args.rounds:
        raise harness.Failed("--seconds must be a multiple of --rounds (whole-second windows)")
    per_side = 1 + math.ceil(args.max_rate * (args.warmup + args.seconds * 1.5))
    prepared = prepare(DATABASE, REDIS, per_side)
    _check_bare_statements(prepared)
    for copy in (BARE_DATABASE, BASE_DATABASE) if args.baseline else (BARE_DATABASE,):
        asyncio.run(harness.recreate(copy, template=DATABASE))
    asyncio.run(_execute(BARE_DATABASE, BARE_TABLE))
    # The same connections kept on both sides: asyncpg's pool keeps those it opens (up to its
    # max), SQLAlchemy's closes its overflow connections on return; so tidi's pool is the
    # sum, without overflow.
    pool = {"DATABASE_POOL_SIZE": str(args.pool_size + args.max_overflow)}
    pool |= {"DATABASE_MAX_OVERFLOW": "0", "WORKER_QUEUE_NAME": QUEUE}
    bare_env = harness.tidi_env(BARE_DATABASE, BARE_REDIS) | {
        "BARE_DSN": harness.dsn(BARE_DATABASE),
        "BARE_POOL_MIN": str(args.pool_size),
        "BARE_POOL_MAX": str(args.pool_size + args.max_overflow),
    }
    submits = bare_env | {
        "BARE_REDIS_URL": BARE_REDIS,
        "BARE_QUEUE": QUEUE,
        "BARE_TERRITORY_ID": str(prepared.territory_id),
        "BARE_KEY_ID": str(prepared.key_id),
    }
    sides = {
        "tidi": Side(
            "services.api.main:app_factory",
            harness.tidi_env(DATABASE, REDIS, **pool),
            database=DATABASE,
            redis=REDIS,
        ),
        "bare_same_statements": Side(
            "bench.bare_app:app", submits, database=BARE_DATABASE, redis=BARE_REDIS
        ),
    }
    if args.baseline is not None:
        env = harness.tidi_env(BASE_DATABASE, BASE_REDIS, **pool)
        sides["baseline"] = Side(
            "services.api.main:app_factory",
            env | {"PYTHONPATH": str(args.baseline)},
            database=BASE_DATABASE,
            redis=BASE_REDIS,
            root=args.baseline,
        )
    asyncio.run(
        _check_connections(len(sides) * args.workers * (args.pool_size + args.max_overflow))
    )
    results: dict[str, Any] = {
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "warmup_seconds": args.warmup,
        "pool_per_process": {"size": args.pool_size, "overflow": args.max_overflow},
    }
    with tempfile.TemporaryDirectory(prefix="tidi-bench-submissions-") as workdir:
        bench = Bench(args, prepared, Path(workdir))
        try:
            for side in sides.values():
                side.open(prepared, args.workers)
            results |= bench.alternate(sides)
        finally:
            for side in sides.values():
                side.stop()
        results["bare_insert"] = bench.inserts(bare_env)
    print(json.dumps(results | _verdict(results), indent=2))


def _arguments() -> argparse.Namespace:
    parser = harness.side_by_side_arguments(__doc__ or "", workers=2, pool_size=10, max_overflow=5)
    parser.add_argument(
        "--max-rate", type=int, default=3000, help="submits/s the drafts are prepared for"
    )
    return parser.parse_args()


def _check_bare_statements(prepared: Prepared) -> None:
    """Fail unless the bare app sends tidi's statements, in tidi's order, each with as many
    parameters of the same kinds; the reads' parameters (which the application row and the
    date determine) with the same values too."""
    captured = prepared.captured["submit"]
    harness.check_statements("a submit", [sql for sql, _ in captured], SUBMIT)
    row = asyncio.run(_fetch_row(DATABASE, prepared))
    ours = submit_statements(
        row,
        territory_id=prepared.territory_id,
        key_id=prepared.key_id,
        request_id=uuid.uuid4().hex,
        now=datetime.now(UTC),
    )
    if [sql for sql, _ in ours] != list(SUBMIT):
        raise harness.Failed("bare_app.submit_statements does not send SUBMIT's statements")
    problems = []
    for number, ((sql, mine), (_, theirs)) in enumerate(zip(ours, captured, strict=True), 1):
        if len(mine) != len(theirs):
            problems.append(f"statement {number}: {len(mine)} parameters, tidi {len(theirs)}")
        problems += [
            f"statement {number} ${n}: tidi {_kind(b)}, bare {_kind(a)}"
            for n, (a, b) in enumerate(zip(mine, theirs, strict=False), 1)
            if _kind(a) != _kind(b)
        ]
        if sql != SUBMIT_WRITE and tuple(mine) != tuple(theirs):
            problems.append(f"statement {number}: values {mine!r}, tidi {theirs!r}")
    if problems:
        raise harness.Failed(f"bare_app.submit_statements differs from tidi: {problems}")


async def _fetch_row(database: str, prepared: Prepared) -> asyncpg.Record:
    connection = await asyncpg.connect(harness.dsn(database))
    try:
        row = await connection.fetchrow(
            SUBMIT_READ, prepared.territory_id, uuid.UUID(prepared.captured_id)
        )
    finally:
        await connection.close()
    if row is None:
        raise harness.Failed("the bare read does not find the application tidi submitted")
    return row


def _kind(value: Any) -> Any:
    """A parameter's kind: its type, or for a JSON object its top-level keys."""
    if isinstance(value, str):
        try:
            document = json.loads(value)
        except ValueError:
            return "str"
        return ("json", sorted(document)) if isinstance(document, dict) else "str"
    return type(value).__name__


class Side(harness.Served):
    """One app serving submits on its own copy of the database and its own Redis database,
    taking the drafts from the first on, each once."""

    def __init__(
        self,
        app: str,
        env: dict[str, str],
        *,
        database: str,
        redis: str,
        root: Path = harness.ROOT,
    ) -> None:
        super().__init__(app, env, root=root)
        self.database, self.redis = database, redis
        self.drafts: Iterator[str] = iter(())
        self.total, self.response_bytes = 0, 0

    def open(self, prepared: Prepared, workers: int) -> None:
        """Empty its Redis database, serve, and submit one draft (it must succeed)."""
        self.drafts, self.total = iter(prepared.drafts), len(prepared.drafts)
        asyncio.run(harness.flush_redis(self.redis))
        self.start(workers)
        self.response_bytes = _probe(self.base_url, self.take(1)[0], prepared.secret)

    def take(self, count: int) -> list[str]:
        share = list(itertools.islice(self.drafts, count))
        if len(share) < count:
            raise harness.Failed(f"{self.total} drafts are not enough")
        return share

    def rows(self) -> dict[str, int]:
        """What its submits wrote so far, once the counts are steady."""
        return asyncio.run(harness.settled(lambda: _submit_rows(self.database, self.redis)))


class Bench:
    """The phases of one invocation: warm-up, peak and fixed-rate windows, rows checked."""

    def __init__(self, args: argparse.Namespace, prepared: Prepared, workdir: Path) -> None:
        self.args, self.prepared, self.workdir = args, prepared, workdir

    def alternate(self, sides: dict[str, Side]) -> dict[str, Any]:
        """Each side warmed up, then its peak windows, then its fixed-rate windows at half of
        tidi's peak, the sides' windows in turn (`harness.alternating`)."""
        args = self.args
        window = args.seconds // args.rounds
        if args.warmup:
            for side in sides.values():
                self._wrk_submits(side, args.warmup)
        peaks: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
        for name in harness.alternating(list(sides), args.rounds):
            peaks[name].append(self._peak(sides[name], window))
        peak = {name: harness.combined(found) for name, found in peaks.items()}
        rate = peak["tidi"]["rps"] / 2
        fixed: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
        latencies: dict[str, list[float]] = {name: [] for name in sides}
        for name in harness.alternating(list(sides), args.rounds):
            fixed[name].append(self._fixed_rate(sides[name], rate, window, latencies[name]))
        return {
            name: {
                "response_bytes": side.response_bytes,
                "peak": peak[name],
                "fixed_rate": _fixed_combined(fixed[name], latencies[name]),
            }
            for name, side in sides.items()
        }

    def _peak(self, side: Side, seconds: int) -> dict[str, Any]:
        """One wrk window of submits, the rows it wrote checked."""
        before = side.rows()
        peak = self._wrk_submits(side, seconds)
        after = side.rows()
        peak["rows"] = harness.check_rows(
            before, after, peak["requests_ok"], peak["unanswered_at_end"]
        )
        return peak

    def _wrk_submits(self, side: Side, seconds: int) -> dict[str, Any]:
        """wrk submitting fresh drafts for `seconds`, each once (it fails if they run out)."""
        ids_file = self.workdir / f"ids-{uuid.uuid4()}.txt"
        ids_file.write_text("\n".join(side.take(self.args.max_rate * seconds)) + "\n")
        load = {"METHOD": "POST", "PATH_TEMPLATE": SUBMIT_PATH, "IF_MATCH": '"1"'}
        load |= {"API_KEY": self.prepared.secret, "IDS_FILE": str(ids_file)}
        return harness.wrk(
            side.base_url,
            seconds=seconds,
            connections=self.args.connections,
            threads=self.args.threads,
            server=side.process,
            env=load,
        )

    def _fixed_rate(
        self, side: Side, rate: float, seconds: int, latencies: list[float]
    ) -> dict[str, Any]:
        """Fresh submits at `rate` per second for `seconds`: latency, CPU and rows written."""
        paths = [SUBMIT_PATH % draft for draft in side.take(int(rate * seconds))]
        headers = {"Authorization": f"Bearer {self.prepared.secret}", "If-Match": '"1"'}
        before = side.rows()
        cpu_before = harness.cpu_seconds(side.process) | {"client": time.process_time()}
        result = asyncio.run(
            harness.at_rate(
                side.base_url,
                paths,
                rate=rate,
                headers=headers,
                connections=self.args.connections,
                record=latencies,
            )
        )
        cpu_after = harness.cpu_seconds(side.process) | {"client": time.process_time()}
        ok = result["requests_ok"]
        result["rows"] = harness.check_rows(before, side.rows(), ok)
        return result | {"cpu_ms_per_request": harness.per_request_ms(cpu_before, cpu_after, ok)}

    def inserts(self, env: dict[str, str]) -> dict[str, Any]:
        """`POST /bare` at full speed (one JSONB row per request), after a warm-up."""
        body = self.workdir / "body.json"
        body.write_text(json.dumps({"application": str(uuid.uuid4()), "payload": "x" * 1500}))
        port = harness.free_port()
        server = harness.serve("bench.bare_app:app", port=port, workers=self.args.workers, env=env)
        run = {"connections": self.args.connections, "threads": self.args.threads}
        run |= {"server": server, "env": {"METHOD": "POST", "BODY_FILE": str(body)}}
        url = f"http://127.0.0.1:{port}/bare"
        try:
            if self.args.warmup:
                harness.wrk(url, seconds=self.args.warmup, **run)
            before = asyncio.run(harness.settled(_bare_rows))
            peak = harness.wrk(url, seconds=self.args.seconds, **run)
            after = asyncio.run(harness.settled(_bare_rows))
        finally:
            harness.stop(server)
        ok, unanswered = peak["requests_ok"], peak["unanswered_at_end"]
        return {"peak": peak | {"rows": harness.check_rows(before, after, ok, unanswered)}}


def _probe(base_url: str, draft: str, secret: str) -> int:
    """Submit one draft; fail unless it succeeds. The size of its response body."""
    response = httpx.post(
        base_url + SUBMIT_PATH % draft,
        headers={"Authorization": f"Bearer {secret}", "If-Match": '"1"'},
        timeout=30,
    )
    if not response.is_success:
        raise harness.Failed(f"{response.url}: {response.status_code} {response.text[:300]}")
    return len(response.content)


def _fixed_combined(windows: list[dict[str, Any]], latencies: list[float]) -> dict[str, Any]:
    """A side's fixed-rate windows as one: requests and rows summed, CPU per request weighted
    by requests, latency percentiles over every request of every window."""
    ok = sum(w["requests_ok"] for w in windows)
    cpu = {
        name: round(sum(w["cpu_ms_per_request"][name] * w["requests_ok"] for w in windows) / ok, 3)
        for name in windows[0]["cpu_ms_per_request"]
    }
    rows = {name: sum(w["rows"][name] for w in windows) for name in windows[0]["rows"]}
    return {
        "requests_ok": ok,
        "rate_per_s": windows[0]["rate_per_s"],
        **harness.latency_summary(latencies),
        "cpu_ms_per_request": cpu,
        "rows": rows,
        "windows": [
            {"p99_ms": w["p99_ms"], "server_cpu_ms": w["cpu_ms_per_request"]["server"]}
            for w in windows
        ],
    }


async def _submit_rows(database: str, redis_url: str) -> dict[str, int]:
    """What a submit writes: its application's status, event, audit entry, scoring job."""
    connection = await asyncpg.connect(harness.dsn(database))
    try:
        row = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM applications WHERE status = 'submitted') AS submitted,"
            " (SELECT count(*) FROM events WHERE type = 'application.submitted') AS events,"
            " (SELECT count(*) FROM audit_entries WHERE action = 'application.submit') AS audits"
        )
    finally:
        await connection.close()
    redis = Redis.from_url(redis_url)
    try:
        queued = await redis.zcard(QUEUE)
    finally:
        await redis.aclose()
    return {**dict(row), "queued_jobs": int(queued)}


async def _bare_rows() -> dict[str, int]:
    connection = await asyncpg.connect(harness.dsn(BARE_DATABASE))
    try:
        return {"bare_rows": int(await connection.fetchval("SELECT count(*) FROM bare_rows"))}
    finally:
        await connection.close()


async def _check_connections(needed: int) -> None:
    """Fail before serving unless PostgreSQL accepts the pools of every side at once (and
    the benchmark's own connection)."""
    connection = await asyncpg.connect(harness.dsn(DATABASE))
    try:
        limit = int(await connection.fetchval("SHOW max_connections"))
        reserved = int(await connection.fetchval("SHOW superuser_reserved_connections"))
    finally:
        await connection.close()
    if needed + 1 > limit - reserved:
        raise harness.Failed(
            f"the sides' pools need {needed} connections, PostgreSQL accepts {limit - reserved}:"
            " lower --pool-size, --max-overflow or --workers"
        )


async def _execute(database: str, sql: str) -> None:
    connection = await asyncpg.connect(harness.dsn(database))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _verdict(results: dict[str, Any]) -> dict[str, Any]:
    """The ratios, the targets and whether they are met."""
    tidi, bare = results["tidi"], results["bare_same_statements"]
    ratio = tidi["peak"]["rps"] / bare["peak"]["rps"]
    p99 = tidi["fixed_rate"]["p99_ms"]
    return {
        "ratios": {
            "throughput_vs_same_statements": round(ratio, 3),
            "p99_at_half_tidi_peak_vs_same_statements": round(
                p99 / bare["fixed_rate"]["p99_ms"], 3
            ),
            "throughput_vs_bare_insert": round(
                tidi["peak"]["rps"] / results["bare_insert"]["peak"]["rps"], 3
            ),
        },
        "targets": {
            "throughput_vs_same_statements": f">= {TARGET_RATIO}",
            "tidi_p99_ms_at_half_its_peak": f"< {TARGET_P99_MS}",
        },
        "meets_targets": ratio >= TARGET_RATIO and p99 < TARGET_P99_MS,
    } | _to_baseline(results)


def _to_baseline(results: dict[str, Any]) -> dict[str, Any]:
    """With a baseline side: tidi's peak rate and fixed-rate p99 over the baseline's."""
    if "baseline" not in results:
        return {}
    tidi, base = results["tidi"], results["baseline"]
    return {
        "ratio_to_baseline": {
            "peak_rps": round(tidi["peak"]["rps"] / base["peak"]["rps"], 3),
            "server_cpu_ms": round(
                tidi["peak"]["cpu_ms_per_request"]["server"]
                / base["peak"]["cpu_ms_per_request"]["server"],
                3,
            ),
            "p99_at_fixed_rate": round(
                tidi["fixed_rate"]["p99_ms"] / base["fixed_rate"]["p99_ms"], 3
            ),
        }
    }


if __name__ == "__main__":
    main()
