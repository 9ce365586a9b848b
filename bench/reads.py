"""Read benchmark: `GET /v1/funds` on tidi beside a bare FastAPI + asyncpg app.

Both run under `uvicorn --workers 1` (one server process each, --workers to change it)
and are loaded by wrk with the same connections for the same time, after an unmeasured
warm-up: --seconds per side, in --rounds windows taken in turn (tidi, bare, bare, tidi…), so
that the drift of a shared machine's speed over a run weighs on both sides alike.
tidi answers with a territory key of its seeded database (five funds); the bare
app (bench/bare_app.py) sends tidi's statement (bench/tidi_statements.py) through an
asyncpg pool of the same size and returns the rows through a pydantic model with the
fields of tidi's `FundRead` page. Neither wraps its SELECT in a transaction.

Before any load, tidi's statement is captured and compared with the bare app's, and both
answers are fetched and compared: a different statement or body fails the run. Printed
as JSON: successful requests per second, p50/p95/p99 (the worst window's), CPU ms per
request (server, PostgreSQL, Redis, wrk), each window's rate, the ratio and its target
(tidi ≥ 0.5 × bare).

    .venv/bin/python bench/reads.py --seconds 15 --connections 32

With `--baseline DIR` (another checkout, e.g. `git worktree add DIR REV`), tidi from that
checkout is served and loaded as a third side in the same windows: `ratio_to_baseline`
compares two versions of tidi like with like.

The rules of bench/harness.py hold (a read writes no row: nothing to count). Needs
PostgreSQL, Redis and wrk. It drops and recreates the database `tidi_bench_reads` and
flushes Redis database 11.
"""

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.prepare import prepare
from bench.tidi_statements import FUNDS_PAGE

DATABASE = "tidi_bench_reads"
REDIS = harness.redis_url(11)
PATH = "/v1/funds"
TARGET_RATIO = 0.5


def main() -> None:
    """Serve both apps, load them in alternating windows and print the figures."""
    args = _arguments()
    harness.require_wrk()
    if args.seconds % args.rounds:
        raise harness.Failed("--seconds must be a multiple of --rounds (whole-second windows)")
    prepared = prepare(DATABASE, REDIS, drafts=0)
    harness.check_statements(
        f"GET {PATH}", [sql for sql, _ in prepared.captured["funds"]], [FUNDS_PAGE]
    )
    asyncio.run(harness.flush_redis(REDIS))
    # The same connections kept on both sides: asyncpg's pool keeps those it opens (up to its
    # max), SQLAlchemy's closes its overflow connections on return; so tidi's pool is the
    # sum, without overflow.
    pool = {"DATABASE_POOL_SIZE": str(args.pool_size + args.max_overflow)}
    pool |= {"DATABASE_MAX_OVERFLOW": "0"}
    bare_env = harness.tidi_env(DATABASE, REDIS) | {
        "BARE_DSN": harness.dsn(DATABASE),
        "BARE_POOL_MIN": str(args.pool_size),
        "BARE_POOL_MAX": str(args.pool_size + args.max_overflow),
    }
    sides = {
        "tidi": Side("services.api.main:app_factory", harness.tidi_env(DATABASE, REDIS, **pool)),
        "bare": Side("bench.bare_app:app", bare_env),
    }
    if args.baseline is not None:
        env = harness.tidi_env(DATABASE, REDIS, **pool) | {"PYTHONPATH": str(args.baseline)}
        sides["baseline"] = Side("services.api.main:app_factory", env, root=args.baseline)
    for name in ("tidi", "baseline"):
        if name in sides:
            sides[name].load = {"API_KEY": prepared.secret}
    try:
        for side in sides.values():
            side.start(args.workers)
        bodies = {name: side.page() for name, side in sides.items()}
        if any(body != bodies["bare"] for body in bodies.values()):
            raise harness.Failed(f"the sides' {PATH} differ: {json.dumps(bodies)[:2000]}")
        figures = _alternate(sides, args)
    finally:
        for side in sides.values():
            side.stop()
    ratio = figures["tidi"]["rps"] / figures["bare"]["rps"]
    results = {
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "warmup_seconds": args.warmup,
        "pool_per_process": {"size": args.pool_size, "overflow": args.max_overflow},
        "funds": len(bodies["tidi"]["items"]),
        **figures,
        "ratio": round(ratio, 3),
        "target_ratio": f">= {TARGET_RATIO}",
        "meets_target": ratio >= TARGET_RATIO,
    }
    if "baseline" in figures:
        results["ratio_to_baseline"] = round(figures["tidi"]["rps"] / figures["baseline"]["rps"], 3)
    print(json.dumps(results, indent=2))


def _alternate(sides: dict[str, "Side"], args: argparse.Namespace) -> dict[str, Any]:
    """Warm each side up, then load them in alternating windows (`harness.alternating`)."""
    run = {"connections": args.connections, "threads": args.threads}
    if args.warmup:
        for side in sides.values():
            side.wrk(seconds=args.warmup, **run)
    windows: dict[str, list[dict[str, Any]]] = {name: [] for name in sides}
    for name in harness.alternating(list(sides), args.rounds):
        windows[name].append(sides[name].wrk(seconds=args.seconds // args.rounds, **run))
    return {name: harness.combined(found) for name, found in windows.items()}


def _arguments() -> argparse.Namespace:
    return harness.side_by_side_arguments(
        __doc__ or "", workers=1, pool_size=20, max_overflow=10
    ).parse_args()


class Side(harness.Served):
    """One app served on a port of its own, and how to load its page."""

    def __init__(self, app: str, env: dict[str, str], *, root: Path = harness.ROOT) -> None:
        super().__init__(app, env, root=root)
        self.load: dict[str, str] = {}

    def page(self) -> Any:
        """The page, fetched once before any load (it must succeed)."""
        headers = {"Authorization": f"Bearer {self.load['API_KEY']}"} if self.load else {}
        response = httpx.get(self.base_url + PATH, headers=headers, timeout=30)
        if not response.is_success:
            raise harness.Failed(f"{response.url}: {response.status_code} {response.text[:300]}")
        return response.json()

    def wrk(self, *, seconds: int, connections: int, threads: int) -> dict[str, Any]:
        return harness.wrk(
            self.base_url + PATH,
            seconds=seconds,
            connections=connections,
            threads=threads,
            server=self.process,
            env=self.load,
        )


if __name__ == "__main__":
    main()
