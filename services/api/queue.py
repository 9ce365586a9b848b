"""Committed jobs enqueued in one Redis round trip, in arq's own format.

arq's `enqueue_job` costs three round trips per job (WATCH + EXISTS, then MULTI/EXEC).
A request's jobs go instead in one script call that does, per job and atomically, what
arq does: skip the job if its job or result key exists (deterministic ids make a repeated
enqueue a no-op), otherwise store the serialized job with arq's expiry and add its id to
the queue's sorted set. The arq worker runs these jobs exactly as its own.

Concurrent requests share calls, as a database groups commits: while one call is in
flight, the jobs of the requests finishing meanwhile wait and go together in the next.
"""

import asyncio
from collections import deque
from collections.abc import Sequence

from arq.connections import ArqRedis
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms, to_unix_ms

from shared.jobs import JobRequest, queue_name

_ENQUEUE = """
local created = {}
for i = 0, #KEYS / 3 - 1 do
  local job_key, result_key, queue = KEYS[i * 3 + 1], KEYS[i * 3 + 2], KEYS[i * 3 + 3]
  if redis.call('EXISTS', job_key, result_key) == 0 then
    redis.call('PSETEX', job_key, ARGV[i * 4 + 3], ARGV[i * 4 + 2])
    redis.call('ZADD', queue, ARGV[i * 4 + 4], ARGV[i * 4 + 1])
    created[#created + 1] = 1
  else
    created[#created + 1] = 0
  end
end
return created
"""


_Waiting = tuple[Sequence[JobRequest], "asyncio.Future[list[bool]]"]


class JobEnqueuer:
    """Enqueues jobs with calls of a server-side script, one call at a time per process."""

    MAX_JOBS_PER_CALL = 500

    def __init__(self, redis: ArqRedis, *, base_queue: str) -> None:
        self.redis = redis
        self.base_queue = base_queue
        self._script = redis.register_script(_ENQUEUE)
        self._waiting: deque[_Waiting] = deque()
        self._sender: asyncio.Task[None] | None = None

    async def enqueue(self, jobs: Sequence[JobRequest]) -> list[bool]:
        """Enqueue `jobs`; per job, whether it was new (False: that id was already there).

        Returns once Redis has them; a Redis error is raised to every request whose jobs
        were in the failed call.
        """
        done: asyncio.Future[list[bool]] = asyncio.get_running_loop().create_future()
        self._waiting.append((jobs, done))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_waiting())
        return await done

    async def _send_waiting(self) -> None:
        """Send what waits, in calls of at most MAX_JOBS_PER_CALL jobs, until nothing does."""
        while self._waiting:
            batch: list[_Waiting] = []
            count = 0
            while self._waiting and (
                not batch or count + len(self._waiting[0][0]) <= self.MAX_JOBS_PER_CALL
            ):
                batch.append(self._waiting.popleft())
                count += len(batch[-1][0])
            try:
                created = await self._call([job for jobs, _ in batch for job in jobs])
            except Exception as error:  # any Redis failure: each request logs it
                _fail(batch, error)
                continue
            except asyncio.CancelledError:  # shutting down: nobody waits forever
                _fail([*batch, *self._waiting], ConnectionError("the enqueuer was stopped"))
                self._waiting.clear()
                raise
            start = 0
            for jobs, done in batch:
                if not done.done():  # a cancelled request
                    done.set_result(created[start : start + len(jobs)])
                start += len(jobs)

    async def _call(self, jobs: Sequence[JobRequest]) -> list[bool]:
        """One script call enqueueing `jobs`."""
        keys: list[str] = []
        args: list[str | bytes | int] = []
        now = timestamp_ms()
        for job in jobs:
            score = to_unix_ms(job.defer_until) if job.defer_until is not None else now
            data = serialize_job(
                job.name, (), job.kwargs, None, now, serializer=self.redis.job_serializer
            )
            keys += [
                job_key_prefix + job.job_id,
                result_key_prefix + job.job_id,
                queue_name(self.base_queue, job.queue),
            ]
            args += [job.job_id, data, score - now + self.redis.expires_extra_ms, score]
        created = await self._script(keys=keys, args=args)
        return [bool(flag) for flag in created]


def _fail(batch: Sequence[_Waiting], error: BaseException) -> None:
    for _, done in batch:
        if not done.done():
            done.set_exception(error)
