"""Lanes: per process, the senders open for each endpoint, within a capacity that slow
endpoints can never take all of.

A lane claims one due delivery at a time (oldest event first), sends it and claims the
next, until the endpoint has nothing due or the lane's time budget is spent. Lanes run as
tasks of the deliverer, not in arq job slots: a delivery job only asks for a lane.

A process runs at most `capacity` lanes, and at most `slow_capacity` of them for slow
endpoints (those whose last attempt failed or made its lane wait `slow_after` or more, or
with a request out that long now) and for the second and further lanes of any endpoint
(an endpoint splits when its answers take `split_after`, well before it counts as slow).
Every endpoint's first lane comes from the rest: a healthy endpoint answering a little
late on a loaded worker is not put with the hanging ones, and endpoints that start to
hang cannot take the whole capacity in the second before they count as slow. However many
endpoints hang, the others keep `capacity - slow_capacity` lanes. An endpoint refused a
lane waits its turn (oldest refusal first) and gets one as lanes close; its deliveries stay
due in the database.
"""

import time
import uuid
from dataclasses import dataclass, field
from typing import Final

CAPACITY: Final = 128
"""Lanes a worker process runs at most."""
SLOW_CAPACITY: Final = 64
"""Lanes of slow endpoints among them, at most."""


@dataclass
class Lanes:
    """Per-process lanes per endpoint: how many are open, and the requests they have out.

    An endpoint gets one lane; another opens (up to its cap) only while every open lane has
    a request out for longer than `split_after`: a fast endpoint is drained by one lane (so
    a crash can catch at most one of its requests between send and record), a slow one by
    up to `max_in_flight`. A job that finds no lane to open leaves a wake-up mark, so the
    busy lane looks again before it stops (no delivery is left behind), or, when the endpoint
    has no lane, puts it in line for the next free one.
    """

    split_after: float = 0.1
    slow_after: float = 1.0
    capacity: int = CAPACITY
    slow_capacity: int = SLOW_CAPACITY
    active: dict[uuid.UUID, int] = field(default_factory=dict)
    wake: set[uuid.UUID] = field(default_factory=set)
    caps: dict[uuid.UUID, int] = field(default_factory=dict)
    sending: dict[uuid.UUID, dict[int, float]] = field(default_factory=dict)
    troubled: set[uuid.UUID] = field(default_factory=set)
    """Endpoints whose last attempt failed or took `slow_after` or more."""
    waiting: dict[uuid.UUID, None] = field(default_factory=dict)
    """Endpoints refused a lane, in the order of their refusal (an ordered set)."""

    def open(self, endpoint_id: uuid.UUID, default_cap: int) -> bool:
        """Open a lane if the endpoint needs one and capacity allows; else mark it to wake a
        busy lane, or put it in line when it has none."""
        open_now = self.active.get(endpoint_id, 0)
        needed = open_now == 0 or (
            open_now < self.caps.get(endpoint_id, default_cap) and self.stalled(endpoint_id)
        )
        if needed and self._admits(endpoint_id):
            self.active[endpoint_id] = open_now + 1
            self.waiting.pop(endpoint_id, None)
            return True
        if open_now:
            self.wake.add(endpoint_id)
        else:
            self.waiting[endpoint_id] = None
        return False

    def grow(self, endpoint_id: uuid.UUID, default_cap: int) -> bool:
        """Open one more lane if the endpoint's cap and capacity allow (a slow answer)."""
        open_now = self.active.get(endpoint_id, 0)
        if open_now >= self.caps.get(endpoint_id, default_cap) or not self._admits(endpoint_id):
            return False
        self.active[endpoint_id] = open_now + 1
        return True

    def next_in_line(self) -> uuid.UUID | None:
        """Open a lane for the first endpoint in line that capacity now allows; its id."""
        for endpoint_id in list(self.waiting):
            if self.active.get(endpoint_id):  # its lanes drain it: they look once more
                del self.waiting[endpoint_id]
                self.wake.add(endpoint_id)
            elif self._admits(endpoint_id):
                del self.waiting[endpoint_id]
                self.active[endpoint_id] = 1
                return endpoint_id
            elif sum(self.active.values()) >= self.capacity:
                return None
        return None

    def stalled(self, endpoint_id: uuid.UUID) -> bool:
        """Whether every open lane of the endpoint has waited `split_after` on its request."""
        waiting = self._waited(endpoint_id, self.split_after)
        return waiting >= self.active.get(endpoint_id, 0) > 0

    def slow(self, endpoint_id: uuid.UUID) -> bool:
        """Whether the endpoint's lanes count as slow ones (see the module's docstring)."""
        return endpoint_id in self.troubled or self._waited(endpoint_id, self.slow_after) > 0

    def over_slow_capacity(self, endpoint_id: uuid.UUID) -> bool:
        """Whether a lane of this endpoint should give its place up: it holds lanes of the
        slow share, which holds more than allowed (endpoints that turned slow while their
        lanes were open)."""
        holds_share = self.slow(endpoint_id) or self.active.get(endpoint_id, 0) > 1
        return holds_share and self._slow_lanes() > self.slow_capacity

    def sent(self, endpoint_id: uuid.UUID, token: int, started: float | None) -> None:
        """Note a lane's request going out (`started`) or answered (None)."""
        out = self.sending.setdefault(endpoint_id, {})
        if started is not None:
            out[token] = started
            return
        out.pop(token, None)
        if not out:
            del self.sending[endpoint_id]

    def answered(self, endpoint_id: uuid.UUID, *, success: bool, waited: float) -> None:
        """Note how the endpoint's last attempt went: a success within `slow_after`, or not."""
        if success and waited < self.slow_after:
            self.troubled.discard(endpoint_id)
        else:
            self.troubled.add(endpoint_id)

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

    def _admits(self, endpoint_id: uuid.UUID) -> bool:
        """Whether capacity has room for one more lane of this endpoint."""
        if sum(self.active.values()) >= self.capacity:
            return False
        from_share = self.slow(endpoint_id) or endpoint_id in self.active
        return not from_share or self._slow_lanes() < self.slow_capacity

    def _slow_lanes(self) -> int:
        """Lanes of the slow share: all those of slow endpoints, the others' extra lanes."""
        return sum(n if self.slow(endpoint_id) else n - 1 for endpoint_id, n in self.active.items())

    def _waited(self, endpoint_id: uuid.UUID, seconds: float) -> int:
        """How many of the endpoint's requests have been out `seconds` or more."""
        cutoff = time.monotonic() - seconds
        return sum(1 for at in self.sending.get(endpoint_id, {}).values() if at <= cutoff)
