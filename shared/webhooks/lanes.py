"""Lanes: per process, how many senders each endpoint has open and the requests they have out.

A worker process keeps at most `max_in_flight` lanes per endpoint. A lane claims one due
delivery at a time (oldest event first), sends it and claims the next, until the endpoint
has nothing due or the lane's time budget is spent; a job arriving while every lane of its
endpoint is busy leaves its delivery to them. So a slow endpoint holds at most
`max_in_flight` job slots, its backlog drains in order, and the others are never held up.
"""

import time
import uuid
from dataclasses import dataclass, field


@dataclass
class Lanes:
    """Per-process lanes per endpoint: how many are open, and the requests they have out.

    An endpoint gets one lane; another opens (up to its cap) only while every open lane has
    a request out for longer than `split_after`: a fast endpoint is drained by one lane (so
    a crash can catch at most one of its requests between send and record), a slow one by
    up to `max_in_flight`. A job that finds no lane to open leaves a wake-up mark, so the
    busy lane looks again before it stops (no delivery is left behind).
    """

    split_after: float = 0.1
    active: dict[uuid.UUID, int] = field(default_factory=dict)
    wake: set[uuid.UUID] = field(default_factory=set)
    caps: dict[uuid.UUID, int] = field(default_factory=dict)
    sending: dict[uuid.UUID, dict[int, float]] = field(default_factory=dict)

    def open(self, endpoint_id: uuid.UUID, default_cap: int) -> bool:
        """Open a lane if the endpoint needs one; else mark it to wake a busy lane."""
        open_now = self.active.get(endpoint_id, 0)
        if open_now == 0 or (
            open_now < self.caps.get(endpoint_id, default_cap) and self.stalled(endpoint_id)
        ):
            self.active[endpoint_id] = open_now + 1
            return True
        self.wake.add(endpoint_id)
        return False

    def grow(self, endpoint_id: uuid.UUID, default_cap: int) -> bool:
        """Open one more lane if the endpoint's cap allows (a lane saw a slow answer)."""
        open_now = self.active.get(endpoint_id, 0)
        if open_now >= self.caps.get(endpoint_id, default_cap):
            return False
        self.active[endpoint_id] = open_now + 1
        return True

    def stalled(self, endpoint_id: uuid.UUID) -> bool:
        """Whether every open lane of the endpoint has waited `split_after` on its request."""
        started = self.sending.get(endpoint_id, {})
        cutoff = time.monotonic() - self.split_after
        waiting = sum(1 for at in started.values() if at <= cutoff)
        return waiting >= self.active.get(endpoint_id, 0) > 0

    def sent(self, endpoint_id: uuid.UUID, token: int, started: float | None) -> None:
        """Note a lane's request going out (`started`) or answered (None)."""
        out = self.sending.setdefault(endpoint_id, {})
        if started is not None:
            out[token] = started
            return
        out.pop(token, None)
        if not out:
            del self.sending[endpoint_id]

    def keep_going(self, endpoint_id: uuid.UUID) -> bool:
        """Called when a lane found nothing due: True if a job asked it to look again."""
        if endpoint_id in self.wake:
            self.wake.discard(endpoint_id)
            return True
        return False

    def close(self, endpoint_id: uuid.UUID) -> None:
        """Release a lane."""
        left = self.active.get(endpoint_id, 1) - 1
        if left > 0:
            self.active[endpoint_id] = left
        else:
            self.active.pop(endpoint_id, None)

    def in_flight(self, endpoint_id: uuid.UUID) -> int:
        """Lanes open for the endpoint now."""
        return self.active.get(endpoint_id, 0)
