"""tidi's own cost of one request, counted in one process: CPU time, or instructions.

The served benchmarks (bench/submissions.py, bench/reads.py) time tidi beside the bare
stack, but a shared machine's speed drifts by more than the few per cent a change to
tidi's code is worth. This runs the request in process instead, through
`httpx.ASGITransport` (no server, no network; PostgreSQL and Redis are real), after 30
unmeasured ones: `submit` posts a fresh draft's submission, `funds` reads `GET /v1/funds`.
Only 200 responses count; any other status fails the run.

    .venv/bin/python bench/instructions.py submit --requests 1500

prints the CPU ms per request of this process (the client's share included). Under
callgrind, the count is of instructions, the same from one run to the next whatever the
machine is doing (±1 %); the counting is switched on only for the measured requests:

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/submit.cg \\
        .venv/bin/python bench/instructions.py submit --requests 200 --callgrind
    callgrind_annotate /tmp/submit.cg | grep 'PROGRAM TOTALS'   # ÷ requests

To compare two versions, run it in each checkout (`git worktree add DIR REV`). Needs
PostgreSQL and Redis (bench/harness.py); it drops and recreates the database
`tidi_bench_instructions` and flushes Redis database 7.
"""

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.prepare import in_process_client, prepare

DATABASE = "tidi_bench_instructions"
REDIS = harness.redis_url(7)
WARM_UP = 30


def main() -> None:
    """Prepare the database, run the requests and print what they cost."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("request", choices=("submit", "funds"))
    parser.add_argument("--requests", type=int, default=1000, help="measured requests")
    parser.add_argument(
        "--callgrind", action="store_true", help="count only the measured requests' instructions"
    )
    args = parser.parse_args()
    prepared = prepare(DATABASE, REDIS, drafts=args.requests + WARM_UP)
    cpu_ms = asyncio.run(_measure(args, prepared.secret, list(prepared.drafts)))
    print(f"{args.request}: {args.requests} requests, {cpu_ms:.3f} ms of CPU each")


async def _measure(args: argparse.Namespace, secret: str, drafts: list[str]) -> float:
    requests: int = args.requests
    from services.api.main import create_app

    os.environ.update(harness.tidi_env(DATABASE, REDIS))  # as the served benchmarks run it
    async with in_process_client(create_app(), secret) as client:

        async def one() -> None:
            if args.request == "funds":
                response = await client.get("/v1/funds")
            else:
                path = f"/v1/applications/{drafts.pop()}/submit"
                response = await client.post(path, headers={"If-Match": '"1"'})
            if response.status_code != 200:
                raise harness.Failed(f"{args.request}: {response.status_code} {response.text}")

        for _ in range(WARM_UP):
            await one()
        _callgrind(args.callgrind, "on")
        started = time.process_time()
        for _ in range(requests):
            await one()
        elapsed = time.process_time() - started
        _callgrind(args.callgrind, "off")
    return elapsed * 1000 / requests


def _callgrind(enabled: bool, switch: str) -> None:
    """Switch callgrind's counting of this process on or off (`callgrind_control -i`)."""
    if enabled:
        command = ["callgrind_control", "-i", switch, str(os.getpid())]
        subprocess.run(command, check=True, capture_output=True)


if __name__ == "__main__":
    main()
