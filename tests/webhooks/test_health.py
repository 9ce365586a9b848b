from datetime import UTC, datetime, timedelta

import pytest

from shared.webhooks.health import (
    DEFAULT_POLICY,
    DisabledReason,
    EndpointHealth,
    HealthEvent,
    HealthPolicy,
    HealthState,
    probe_interval,
    record_outcome,
    tick,
)
from shared.webhooks.schedule import classify

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FAIL = classify(500)
OK = classify(200)
GONE = classify(410)
MIN = timedelta(minutes=1)


def _fail(
    health: EndpointHealth, times: int, start: datetime, step: timedelta
) -> tuple[EndpointHealth, list[HealthEvent], datetime]:
    events: list[HealthEvent] = []
    now = start
    for index in range(times):
        now = start + step * index
        transition = record_outcome(health, FAIL, now)
        health = transition.health
        if transition.event is not None:
            events.append(transition.event)
    return health, events, now


def test_the_thresholds_are_the_documented_ones() -> None:
    assert (
        HealthPolicy(
            degraded_after=5,
            circuit_after=20,
            circuit_min_span=timedelta(minutes=10),
            disable_after=timedelta(days=5),
            probe_initial=timedelta(minutes=1),
            probe_max=timedelta(hours=1),
        )
        == DEFAULT_POLICY
    )


def test_four_failures_keep_it_healthy_the_fifth_degrades() -> None:
    health, events, _ = _fail(EndpointHealth(), 4, T0, MIN)
    assert health.state is HealthState.HEALTHY
    assert health.consecutive_failures == 4
    assert health.failing_since == T0
    assert events == []
    transition = record_outcome(health, FAIL, T0 + 4 * MIN)
    assert transition.health.state is HealthState.DEGRADED
    assert transition.event is HealthEvent.DEGRADED


def test_twenty_failures_within_ten_minutes_do_not_open_the_circuit() -> None:
    health, events, _ = _fail(EndpointHealth(), 30, T0, timedelta(seconds=10))
    assert health.state is HealthState.DEGRADED
    assert health.consecutive_failures == 30
    assert events == [HealthEvent.DEGRADED]


def test_twenty_failures_over_ten_minutes_open_the_circuit() -> None:
    health, events, _ = _fail(EndpointHealth(), 19, T0, timedelta(seconds=40))
    assert health.state is HealthState.DEGRADED
    transition = record_outcome(health, FAIL, T0 + 10 * MIN)
    assert transition.health.state is HealthState.CIRCUIT_OPEN
    assert transition.event is HealthEvent.CIRCUIT_OPENED
    assert transition.health.consecutive_failures == 20
    assert transition.health.next_probe_at == T0 + 11 * MIN
    assert events == [HealthEvent.DEGRADED]


def test_an_open_circuit_probes_with_a_growing_interval_up_to_an_hour() -> None:
    health, _, now = _fail(EndpointHealth(), 20, T0, MIN)
    assert health.state is HealthState.CIRCUIT_OPEN
    intervals = []
    for _ in range(9):
        assert health.next_probe_at is not None
        now = health.next_probe_at
        transition = record_outcome(health, FAIL, now)
        assert transition.event is None
        health = transition.health
        assert health.next_probe_at is not None
        intervals.append(health.next_probe_at - now)
    assert intervals == [2 * MIN, 4 * MIN, 8 * MIN, 16 * MIN, 32 * MIN] + [60 * MIN] * 4
    assert health.state is HealthState.CIRCUIT_OPEN


def test_probe_interval() -> None:
    assert [probe_interval(n) for n in range(8)] == [
        MIN,
        2 * MIN,
        4 * MIN,
        8 * MIN,
        16 * MIN,
        32 * MIN,
        60 * MIN,
        60 * MIN,
    ]
    assert probe_interval(10_000) == 60 * MIN
    with pytest.raises(ValueError, match="from 0"):
        probe_interval(-1)


def test_a_2xx_closes_the_circuit() -> None:
    health, _, now = _fail(EndpointHealth(), 25, T0, MIN)
    assert health.state is HealthState.CIRCUIT_OPEN
    transition = record_outcome(health, OK, now + MIN)
    assert transition.event is HealthEvent.RECOVERED
    assert transition.health == EndpointHealth(last_success_at=now + MIN)
    assert transition.health.state is HealthState.HEALTHY


def test_a_2xx_recovers_a_degraded_endpoint() -> None:
    health, _, now = _fail(EndpointHealth(), 6, T0, MIN)
    transition = record_outcome(health, OK, now)
    assert transition.health.state is HealthState.HEALTHY
    assert transition.event is HealthEvent.RECOVERED


def test_a_2xx_on_a_healthy_endpoint_emits_nothing_and_resets_the_streak() -> None:
    health, _, now = _fail(EndpointHealth(), 4, T0, MIN)
    transition = record_outcome(health, OK, now)
    assert transition.event is None
    assert transition.health.consecutive_failures == 0
    assert transition.health.failing_since is None
    health, events, _ = _fail(transition.health, 4, now, MIN)
    assert health.state is HealthState.HEALTHY
    assert events == []


@pytest.mark.parametrize("failures", [0, 7, 22])
def test_410_disables_at_once(failures: int) -> None:
    health, _, now = _fail(EndpointHealth(), failures, T0, MIN)
    transition = record_outcome(health, GONE, now + MIN)
    assert transition.health.state is HealthState.DISABLED
    assert transition.health.disabled_reason is DisabledReason.GONE
    assert transition.event is HealthEvent.DISABLED
    assert transition.health.next_probe_at is None


def test_failing_for_five_days_disables() -> None:
    health, events, now = _fail(EndpointHealth(), 24 * 5, T0, timedelta(hours=1))
    assert now - T0 == timedelta(hours=119)
    assert health.state is HealthState.CIRCUIT_OPEN
    assert events == [HealthEvent.DEGRADED, HealthEvent.CIRCUIT_OPENED]
    transition = record_outcome(health, FAIL, T0 + timedelta(days=5))
    assert transition.health.state is HealthState.DISABLED
    assert transition.health.disabled_reason is DisabledReason.FAILING
    assert transition.event is HealthEvent.DISABLED


def test_a_disabled_endpoint_stays_disabled_until_re_enabled() -> None:
    health = record_outcome(EndpointHealth(), GONE, T0).health
    for outcome in (FAIL, OK, GONE):
        transition = record_outcome(health, outcome, T0 + MIN)
        assert transition.event is None
        assert transition.health.state is HealthState.DISABLED


def test_tick_disables_an_open_circuit_left_without_attempts() -> None:
    health, _, now = _fail(EndpointHealth(), 20, T0, MIN)
    assert health.state is HealthState.CIRCUIT_OPEN
    assert tick(health, T0 + timedelta(days=5) - MIN) == tick(health, now)
    assert tick(health, now).health is health
    assert tick(health, now).event is None
    transition = tick(health, T0 + timedelta(days=5))
    assert transition.health.state is HealthState.DISABLED
    assert transition.health.disabled_reason is DisabledReason.FAILING
    assert transition.event is HealthEvent.DISABLED


def test_tick_leaves_healthy_and_disabled_endpoints_alone() -> None:
    late = T0 + timedelta(days=30)
    assert tick(EndpointHealth(), late).event is None
    health, _, _ = _fail(EndpointHealth(), 3, T0, MIN)
    assert tick(health, late).health is health
    disabled = record_outcome(EndpointHealth(), GONE, T0).health
    assert tick(disabled, late).event is None


def test_a_compressed_policy() -> None:
    policy = HealthPolicy(
        degraded_after=2,
        circuit_after=3,
        circuit_min_span=timedelta(seconds=1),
        disable_after=timedelta(seconds=10),
        probe_initial=timedelta(milliseconds=100),
        probe_max=timedelta(milliseconds=300),
    )
    health = EndpointHealth()
    seen = []
    for second in range(12):
        transition = record_outcome(health, FAIL, T0 + timedelta(seconds=second), policy)
        health = transition.health
        seen.append(transition.event)
    assert [event for event in seen if event] == [
        HealthEvent.DEGRADED,
        HealthEvent.CIRCUIT_OPENED,
        HealthEvent.DISABLED,
    ]
    assert seen.index(HealthEvent.DISABLED) == 10
    assert probe_interval(5, policy) == timedelta(milliseconds=300)
