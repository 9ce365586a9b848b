import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from shared.webhooks.schedule import (
    DEFAULT_SCHEDULE,
    MAX_RETRY_AFTER,
    THROTTLED_MINIMUM,
    ErrorClass,
    Outcome,
    OutcomeKind,
    classify,
    jittered,
    next_attempt_at,
    parse_retry_after,
    validate_schedule,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FAILED = classify(500)
S = timedelta(seconds=1)
MIN = timedelta(minutes=1)
H = timedelta(hours=1)


# --- the schedule


def test_default_schedule_is_the_documented_one() -> None:
    assert (
        timedelta(0),
        5 * S,
        30 * S,
        2 * MIN,
        10 * MIN,
        30 * MIN,
        1 * H,
        2 * H,
        4 * H,
        8 * H,
        12 * H,
        24 * H,
        24 * H,
        24 * H,
    ) == DEFAULT_SCHEDULE
    assert len(DEFAULT_SCHEDULE) == 14
    assert timedelta(days=4) - timedelta(hours=1) < sum(DEFAULT_SCHEDULE, timedelta(0))
    assert sum(DEFAULT_SCHEDULE, timedelta(0)) < timedelta(days=4, hours=4)


def test_exact_delays_without_jitter() -> None:
    delays = [next_attempt_at(attempt, NOW, FAILED, jitter=0.0) for attempt in range(1, 14)]
    assert [due - NOW for due in delays if due is not None] == list(DEFAULT_SCHEDULE[1:])


def test_give_up_after_14_attempts() -> None:
    assert next_attempt_at(13, NOW, FAILED, jitter=0.0) == NOW + 24 * H
    assert next_attempt_at(14, NOW, FAILED, jitter=0.0) is None
    assert next_attempt_at(15, NOW, FAILED, jitter=0.0) is None


def test_a_whole_failed_delivery_takes_about_four_days_and_14_attempts() -> None:
    rng = random.Random(7)
    due: datetime | None = NOW
    attempts = 0
    last = NOW
    while due is not None:
        attempts += 1
        last = due
        due = next_attempt_at(attempts, due, FAILED, jitter=rng)
    assert attempts == 14
    assert timedelta(days=4) - timedelta(hours=1) < last - NOW < timedelta(days=4, hours=20)


def test_no_retry_after_success_or_gone() -> None:
    assert next_attempt_at(1, NOW, classify(200), jitter=0.0) is None
    assert next_attempt_at(1, NOW, classify(410), jitter=0.0) is None


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        next_attempt_at(0, NOW, FAILED)


def test_a_compressed_schedule_from_the_settings() -> None:
    schedule = (timedelta(0), timedelta(milliseconds=10), timedelta(milliseconds=20))
    assert next_attempt_at(1, NOW, FAILED, schedule=schedule, jitter=0.0) == NOW + (
        timedelta(milliseconds=10)
    )
    assert next_attempt_at(3, NOW, FAILED, schedule=schedule, jitter=0.0) is None
    throttled = next_attempt_at(
        1,
        NOW,
        classify(429),
        schedule=schedule,
        jitter=0.0,
        throttled_minimum=timedelta(milliseconds=50),
    )
    assert throttled == NOW + timedelta(milliseconds=50)


@pytest.mark.parametrize("schedule", [(), (timedelta(0), -S)])
def test_invalid_schedules_are_refused(schedule: tuple[timedelta, ...]) -> None:
    with pytest.raises(ValueError, match=r"attempt|negative"):
        validate_schedule(schedule)


# --- jitter


def test_jitter_is_additive_up_to_20_percent_and_never_early() -> None:
    rng = random.Random(42)
    for attempt in range(1, 14):
        base = DEFAULT_SCHEDULE[attempt]
        for _ in range(200):
            due = next_attempt_at(attempt, NOW, FAILED, jitter=rng)
            assert due is not None
            assert base <= due - NOW <= base * 1.2


def test_jitter_bounds_are_exact() -> None:
    assert next_attempt_at(4, NOW, FAILED, jitter=0.0) == NOW + 10 * MIN
    assert next_attempt_at(4, NOW, FAILED, jitter=1.0) == NOW + 12 * MIN
    assert next_attempt_at(4, NOW, FAILED, jitter=0.5) == NOW + 11 * MIN


def test_jitter_spreads_retries() -> None:
    rng = random.Random(1)
    dues = {next_attempt_at(6, NOW, FAILED, jitter=rng) for _ in range(100)}
    assert len(dues) > 90


def test_system_jitter_stays_in_bounds() -> None:
    for _ in range(100):
        delay = jittered(10 * MIN)
        assert 10 * MIN <= delay <= 12 * MIN


@pytest.mark.parametrize("draw", [-0.01, 1.01])
def test_jitter_draws_outside_the_unit_interval_are_refused(draw: float) -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        jittered(MIN, draw)


# --- throttling and Retry-After


@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_wait_at_least_60_seconds(status: int) -> None:
    assert THROTTLED_MINIMUM == 60 * S
    assert next_attempt_at(1, NOW, classify(status), jitter=0.0) == NOW + 60 * S
    assert next_attempt_at(2, NOW, classify(status), jitter=0.0) == NOW + 60 * S
    assert next_attempt_at(3, NOW, classify(status), jitter=0.0) == NOW + 2 * MIN
    due = next_attempt_at(1, NOW, classify(status), jitter=1.0)
    assert due == NOW + 72 * S


def test_a_timeout_waits_at_least_60_seconds() -> None:
    assert next_attempt_at(1, NOW, classify(None, "timeout"), jitter=0.0) == NOW + 60 * S


def test_other_failures_follow_the_schedule() -> None:
    for outcome in (classify(500), classify(404), classify(302), classify(None, "connect")):
        assert next_attempt_at(1, NOW, outcome, jitter=0.0) == NOW + 5 * S


def test_429_with_retry_after_seconds() -> None:
    assert next_attempt_at(1, NOW, classify(429), retry_after="120", jitter=0.0) == NOW + 120 * S
    assert next_attempt_at(1, NOW, classify(429), retry_after=" 7200 ", jitter=0.0) == NOW + 2 * H


def test_retry_after_never_shortens_the_wait() -> None:
    assert next_attempt_at(1, NOW, classify(429), retry_after="10", jitter=0.0) == NOW + 60 * S
    assert next_attempt_at(8, NOW, classify(503), retry_after="60", jitter=0.0) == NOW + 4 * H


def test_429_with_retry_after_http_date() -> None:
    when = format_datetime(NOW + 30 * MIN, usegmt=True)
    assert when.endswith("GMT")
    assert next_attempt_at(1, NOW, classify(429), retry_after=when, jitter=0.0) == NOW + 30 * MIN


def test_retry_after_is_capped_at_24_hours() -> None:
    assert MAX_RETRY_AFTER == 24 * H
    far = format_datetime(NOW + timedelta(days=10), usegmt=True)
    for value in ("999999999999999999999", far):
        due = next_attempt_at(1, NOW, classify(429), retry_after=value, jitter=0.0)
        assert due == NOW + 24 * H
    assert next_attempt_at(
        1, NOW, classify(503), retry_after=timedelta(days=3), jitter=0.0
    ) == NOW + (24 * H)


def test_retry_after_is_honoured_on_other_failures_too() -> None:
    assert next_attempt_at(1, NOW, classify(500), retry_after="300", jitter=0.0) == NOW + 5 * MIN


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("0", timedelta(0)),
        ("120", 120 * S),
        ("Mon, 02 Mar 2026 09:10:00 GMT", 10 * MIN),
        ("Mon, 02 Mar 2026 08:00:00 GMT", timedelta(0)),
        ("Monday, 02-Mar-26 09:10:00 GMT", 10 * MIN),
    ],
)
def test_parse_retry_after(value: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_garbage_retry_after_is_ignored() -> None:
    assert next_attempt_at(1, NOW, classify(429), retry_after="later", jitter=0.0) == NOW + 60 * S


# --- outcome classification


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_a_success(status: int) -> None:
    assert classify(status) == Outcome(OutcomeKind.SUCCESS, status_code=status)
    assert classify(status).is_success


def test_410_is_gone() -> None:
    outcome = classify(410)
    assert outcome.kind is OutcomeKind.GONE
    assert not outcome.is_success


@pytest.mark.parametrize("status", [100, 199, 300, 301, 302, 304, 307, 308, 400, 404, 500, 502])
def test_everything_else_fails_and_3xx_is_not_followed(status: int) -> None:
    outcome = classify(status)
    assert outcome == Outcome(OutcomeKind.FAILURE, status_code=status)
    assert not outcome.throttled


@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_are_throttled(status: int) -> None:
    assert classify(status) == Outcome(OutcomeKind.FAILURE, status_code=status, throttled=True)


@pytest.mark.parametrize("error", ["timeout", "dns", "connect", "tls", "ssrf_blocked", "protocol"])
def test_error_classes(error: str) -> None:
    outcome = classify(None, error)
    assert outcome.kind is OutcomeKind.FAILURE
    assert outcome.error_class == ErrorClass(error)
    assert outcome.status_code is None
    assert outcome.throttled is (error == "timeout")


def test_a_status_wins_over_a_late_error() -> None:
    assert classify(200, "timeout").is_success


@pytest.mark.parametrize(
    ("status", "error"), [(None, None), (None, "weird"), (99, None), (600, None)]
)
def test_unclassifiable_attempts_are_refused(status: int | None, error: str | None) -> None:
    with pytest.raises(ValueError, match=r"status|error|ErrorClass"):
        classify(status, error)
