"""Committed jobs enqueued in one Redis round trip, in arq's own format.

arq's `enqueue_job` costs three round trips per job (WATCH + EXISTS, then MULTI/EXEC).
A request's jobs go instead in one script call that does, per job and atomically, what
arq does: skip the job if its job or result key exists (deterministic ids make a repeated
enqueue a no-op), otherwise store the serialized job with arq's expiry and add its id to
the queue's sorted set. The arq worker runs these jobs exactly as its own.
"""

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


class JobEnqueuer:
    """Enqueues a batch of jobs with one call of a server-side script."""

    def __init__(self, redis: ArqRedis, *, base_queue: str) -> None:
        self.redis = redis
        self.base_queue = base_queue
        self._script = redis.register_script(_ENQUEUE)

    async def enqueue(self, jobs: Sequence[JobRequest]) -> list[bool]:
        """Enqueue `jobs`; per job, whether it was new (False: that id was already there)."""
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
