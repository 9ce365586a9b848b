"""Delivery retry policy as pure functions: outcome classes, the schedule, jitter, Retry-After."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Final

DEFAULT_SCHEDULE: Final[tuple[timedelta, ...]] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=24),
    timedelta(hours=24),
)
"""Delay before each attempt: `schedule[0]` before the first (immediately), 14 attempts."""

MAX_JITTER: Final = 0.2
"""Jitter is additive, 0 to 20 % of the delay: an attempt is never early."""
THROTTLED_MINIMUM: Final = timedelta(seconds=60)
"""Least wait after a 429, a 503 or a timeout."""
MAX_RETRY_AFTER: Final = timedelta(hours=24)
"""Longest `Retry-After` honoured; longer values are capped to it."""

_SYSTEM_RANDOM = random.SystemRandom()


class ErrorClass(StrEnum):
    """Why an attempt got no HTTP response (logged with the attempt)."""

    TIMEOUT = "timeout"
    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    SSRF_BLOCKED = "ssrf_blocked"
    PROTOCOL = "protocol"


class OutcomeKind(StrEnum):
    """What an attempt means for the delivery and the endpoint."""

    SUCCESS = "success"
    FAILURE = "failure"
    GONE = "gone"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A classified attempt.

    Attributes:
        kind: Success (2xx), failure (anything else), or gone (410: disable the endpoint).
        status_code: The HTTP status, when a response came back.
        error_class: The failure class when no response came back.
        throttled: 429, 503 or timeout: wait at least `THROTTLED_MINIMUM` before the next try.
    """

    kind: OutcomeKind
    status_code: int | None = None
    error_class: ErrorClass | None = None
    throttled: bool = False

    @property
    def is_success(self) -> bool:
        """Whether the receiver acknowledged the message."""
        return self.kind is OutcomeKind.SUCCESS


def classify(status_code: int | None, error: str | None = None) -> Outcome:
    """Classify an attempt from its HTTP status or, without one, its error class.

    A status wins over an error: a receiver that answered 2xx before the read of the body
    failed has acknowledged the message. 2xx is a success; 410 is `gone` (the endpoint is
    disabled at once); everything else, 3xx included (redirects are never followed), is a
    failure. 429, 503 and timeouts are `throttled`.

    Args:
        status_code: The response status, or None when no response came back.
        error: An `ErrorClass` value when no response came back.

    Returns:
        The outcome.

    Raises:
        ValueError: Neither given, a status outside 100..599, or an unknown error class.
    """
    if status_code is not None:
        if not 100 <= status_code <= 599:
            raise ValueError(f"not an HTTP status: {status_code}")
        if 200 <= status_code < 300:
            return Outcome(OutcomeKind.SUCCESS, status_code=status_code)
        if status_code == 410:
            return Outcome(OutcomeKind.GONE, status_code=status_code)
        return Outcome(
            OutcomeKind.FAILURE, status_code=status_code, throttled=status_code in (429, 503)
        )
    if error is None:
        raise ValueError("an attempt has a status code or an error class")
    error_class = ErrorClass(error)
    return Outcome(
        OutcomeKind.FAILURE,
        error_class=error_class,
        throttled=error_class is ErrorClass.TIMEOUT,
    )


def validate_schedule(schedule: tuple[timedelta, ...]) -> tuple[timedelta, ...]:
    """Check a schedule from the settings: at least one attempt, no negative delay.

    Args:
        schedule: Delay before each attempt.

    Returns:
        The schedule, unchanged.

    Raises:
        ValueError: An empty schedule or a negative delay.
    """
    if not schedule:
        raise ValueError("a retry schedule has at least one attempt")
    if any(delay < timedelta(0) for delay in schedule):
        raise ValueError("retry delays are not negative")
    return schedule


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """The wait a `Retry-After` header asks for, capped at `MAX_RETRY_AFTER`.

    Args:
        value: The header: delay-seconds (`120`) or an HTTP-date
            (`Wed, 21 Oct 2026 07:28:00 GMT`).
        now: The current time (aware), for HTTP-dates.

    Returns:
        The wait (zero for a date in the past), or None when absent or unparsable.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        wait = timedelta(seconds=min(int(text), int(MAX_RETRY_AFTER.total_seconds())))
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = max(when - now, timedelta(0))
    return min(wait, MAX_RETRY_AFTER)


def jittered(delay: timedelta, jitter: random.Random | float | None = None) -> timedelta:
    """A delay plus additive jitter of 0 to `MAX_JITTER` of it (never shorter).

    Args:
        delay: The base delay.
        jitter: A uniform draw in [0, 1], a generator to draw from, or None for the system's.

    Returns:
        `delay * (1 + MAX_JITTER * u)`.

    Raises:
        ValueError: A draw outside [0, 1].
    """
    if isinstance(jitter, random.Random):
        draw = jitter.random()
    elif jitter is None:
        draw = _SYSTEM_RANDOM.random()
    else:
        draw = jitter
    if not 0.0 <= draw <= 1.0:
        raise ValueError("a jitter draw lies in [0, 1]")
    return delay + delay * (MAX_JITTER * draw)


def next_attempt_at(
    attempt_no: int,
    now: datetime,
    outcome: Outcome,
    *,
    retry_after: str | timedelta | None = None,
    schedule: tuple[timedelta, ...] = DEFAULT_SCHEDULE,
    jitter: random.Random | float | None = None,
    throttled_minimum: timedelta = THROTTLED_MINIMUM,
) -> datetime | None:
    """When to try again after attempt `attempt_no` ended with `outcome`, or None to stop.

    The wait is the schedule's delay before the next attempt, raised to `throttled_minimum`
    after a throttled outcome and to `Retry-After` (capped at 24 h) when the receiver sent
    one, then lengthened by 0–20 % jitter. It is never shorter than any of these.

    Args:
        attempt_no: The attempt that just ended, counting from 1.
        now: When it ended (aware).
        outcome: Its classification.
        retry_after: The response's `Retry-After` header (raw text) or a parsed wait.
        schedule: Delay before each attempt (the setting; tests compress it).
        jitter: A uniform draw in [0, 1], a generator, or None for the system's.
        throttled_minimum: Least wait after a throttled outcome (60 s; tests compress it).

    Returns:
        The due time of attempt `attempt_no + 1`; None when there is none: success, gone
        (the endpoint is disabled), or the schedule is exhausted (the delivery is failed and
        stays recoverable).

    Raises:
        ValueError: `attempt_no` below 1, or an invalid schedule or jitter draw.
    """
    validate_schedule(schedule)
    if attempt_no < 1:
        raise ValueError("attempts count from 1")
    if outcome.kind is not OutcomeKind.FAILURE or attempt_no >= len(schedule):
        return None
    wait = schedule[attempt_no]
    if outcome.throttled:
        wait = max(wait, throttled_minimum)
    asked = (
        parse_retry_after(retry_after, now)
        if retry_after is None or isinstance(retry_after, str)
        else min(max(retry_after, timedelta(0)), MAX_RETRY_AFTER)
    )
    if asked is not None:
        wait = max(wait, asked)
    return now + jittered(wait, jitter)
