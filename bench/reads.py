"""Read benchmark: `GET /v1/funds` on tidi beside a bare FastAPI + asyncpg app.

Both run under `uvicorn --workers 1` (one server process each, --workers to change it)
and are loaded by wrk with the same connections for the same time, after an unmeasured
warm-up. tidi answers with a territory key of its seeded database (five funds); the bare
app (bench/bare_app.py) sends tidi's statement (bench/tidi_statements.py) through an
asyncpg pool of the same size and returns the rows through a pydantic model with the
fields of tidi's `FundRead` page. Neither wraps its SELECT in a transaction.

Before any load, tidi's statement is captured and compared with the bare app's, and both
answers are fetched and compared: a different statement or body fails the run. Printed
as JSON: successful requests per second, p50/p95/p99, CPU ms per request (server,
PostgreSQL, Redis, wrk), the ratio and its target (tidi ≥ 0.5 × bare).

    .venv/bin/python bench/reads.py --seconds 15 --connections 32

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
    """Load both apps in turn and print the figures."""
    args = _arguments()
    harness.require_wrk()
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
    tidi_body, tidi = _side(
        "services.api.main:app_factory",
        harness.tidi_env(DATABASE, REDIS, **pool),
        {"API_KEY": prepared.secret},
        args,
    )
    bare_env = harness.tidi_env(DATABASE, REDIS) | {
        "BARE_DSN": harness.dsn(DATABASE),
        "BARE_POOL_MIN": str(args.pool_size),
        "BARE_POOL_MAX": str(args.pool_size + args.max_overflow),
    }
    bare_body, bare = _side("bench.bare_app:app", bare_env, {}, args)
    if tidi_body != bare_body:
        raise harness.Failed(
            f"the bare app's {PATH} differs from tidi's:\n{tidi_body}\n{bare_body}"
        )
    ratio = tidi["rps"] / bare["rps"]
    results = {
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "pool_per_process": {"size": args.pool_size, "overflow": args.max_overflow},
        "funds": len(tidi_body["items"]),
        "tidi": tidi,
        "bare": bare,
        "ratio": round(ratio, 3),
        "target_ratio": f">= {TARGET_RATIO}",
        "meets_target": ratio >= TARGET_RATIO,
    }
    print(json.dumps(results, indent=2))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=15, help="the measured window")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured load before it")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--pool-size", type=int, default=20, help="connections per process")
    parser.add_argument("--max-overflow", type=int, default=10, help="more under load")
    return parser.parse_args()


def _side(
    app: str, env: dict[str, str], load: dict[str, str], args: argparse.Namespace
) -> tuple[Any, dict[str, Any]]:
    """Serve `app`, fetch its page once (it must succeed), then load it: (page, figures)."""
    port = harness.free_port()
    server = harness.serve(
        app, port=port, workers=args.workers, env=env, factory=app.endswith("factory")
    )
    url = f"http://127.0.0.1:{port}{PATH}"
    try:
        headers = {"Authorization": f"Bearer {load['API_KEY']}"} if load else {}
        response = httpx.get(url, headers=headers, timeout=30)
        if not response.is_success:
            raise harness.Failed(f"{url}: {response.status_code} {response.text[:300]}")
        run = {"connections": args.connections, "threads": args.threads, "server": server}
        if args.warmup:
            harness.wrk(url, seconds=args.warmup, env=load, **run)
        figures = harness.wrk(url, seconds=args.seconds, env=load, **run)
    finally:
        harness.stop(server)
    return response.json(), figures


if __name__ == "__main__":
    main()
