"""CPU per query of `GET /v1/funds`'s SELECT by each path tidi could send it.

One process, one query at a time, on the reads benchmark's database: the statement of
bench/tidi_statements.py through an asyncpg pool (what bench/bare_app.py does), and tidi's
statement (shared/funds/repository.py) through SQLAlchemy's `engine.connect()` (Core), an
autocommit ORM session (what a GET uses) and an ORM session in a transaction (what a write
uses). Each path runs --queries times after 200 unmeasured ones, twice, in turn; the rows
must be the same on every path. What separates the paths is the client side's cost of one
query: the floor under the read benchmark's ratio.

    .venv/bin/python bench/sql_path.py

Needs PostgreSQL and Redis (bench/harness.py). It drops and recreates the database
`tidi_bench_reads` and flushes Redis database 11.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.prepare import prepare
from bench.tidi_statements import FUNDS_PAGE, FUNDS_PAGE_LIMIT

DATABASE = "tidi_bench_reads"
REDIS = harness.redis_url(11)


def main() -> None:
    """Prepare the database, time each path and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=int, default=3000, help="measured per path and pass")
    args = parser.parse_args()
    prepare(DATABASE, REDIS, drafts=0)
    os.environ.update(harness.tidi_env(DATABASE, REDIS, DATABASE_POOL_SIZE="5"))
    print(json.dumps(asyncio.run(_measure(args.queries)), indent=2))


async def _measure(queries: int) -> dict[str, Any]:
    from shared.db.engine import create_engine, create_sessionmaker, create_statement_sessionmaker
    from shared.funds import repository
    from shared.settings import get_settings

    engine = create_engine(get_settings())
    statement = repository.list_statement(status=None, operator=None, open_at=None)
    statement = statement.order_by(*repository.BY_CODE.order_by).limit(FUNDS_PAGE_LIMIT)
    autocommit, transaction = create_statement_sessionmaker(engine), create_sessionmaker(engine)
    pool = await asyncpg.create_pool(harness.dsn(DATABASE), min_size=5, max_size=5)

    async def asyncpg_pool() -> list[Any]:
        async with pool.acquire() as connection:
            return [row["code"] for row in await connection.fetch(FUNDS_PAGE, FUNDS_PAGE_LIMIT)]

    async def core() -> list[Any]:
        async with engine.connect() as connection:
            return [fund.code for fund in await connection.execute(statement)]

    async def orm_autocommit() -> list[Any]:
        async with autocommit() as session:
            return [fund.code for fund in await session.scalars(statement)]

    async def orm_transaction() -> list[Any]:
        async with transaction() as session:
            return [fund.code for fund in await session.scalars(statement)]

    paths: dict[str, Callable[[], Awaitable[list[Any]]]] = {
        "asyncpg_pool": asyncpg_pool,
        "sqlalchemy_core": core,
        "orm_autocommit_session": orm_autocommit,
        "orm_transaction_session": orm_transaction,
    }
    try:
        answers = {name: await path() for name, path in paths.items()}
        if len({tuple(codes) for codes in answers.values()}) != 1:
            raise harness.Failed(f"the paths read different rows: {answers}")
        passes: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(2):
            for name, path in paths.items():
                for _ in range(200):
                    await path()
                started = time.process_time()
                for _ in range(queries):
                    await path()
                passes[name].append((time.process_time() - started) * 1000 / queries)
    finally:
        await pool.close()
        await engine.dispose()
    return {
        "rows": len(answers["asyncpg_pool"]),
        "queries_per_pass": queries,
        "cpu_ms_per_query": {name: round(statistics.mean(v), 3) for name, v in passes.items()},
        "passes": {name: [round(x, 3) for x in v] for name, v in passes.items()},
    }


if __name__ == "__main__":
    main()
