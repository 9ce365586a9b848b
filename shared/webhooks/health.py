"""Endpoint health as a pure state machine: degraded, circuit open, disabled, recovered."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from shared.webhooks.schedule import Outcome, OutcomeKind


class HealthState(StrEnum):
    """The delivery state of an endpoint."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    CIRCUIT_OPEN = "circuit_open"
    DISABLED = "disabled"


class HealthEvent(StrEnum):
    """Warnings sent to the endpoint's owner (events API and admin views) on a state change."""

    DEGRADED = "endpoint.degraded"
    CIRCUIT_OPENED = "endpoint.circuit_opened"
    DISABLED = "endpoint.disabled"
    RECOVERED = "endpoint.recovered"


class DisabledReason(StrEnum):
    """Why an endpoint was disabled."""

    GONE = "gone"
    FAILING = "failing"
    OWNER = "owner"


@dataclass(frozen=True, slots=True)
class HealthPolicy:
    """Thresholds of the state machine (settings; tests compress the durations).

    Attributes:
        degraded_after: Consecutive failures that make an endpoint degraded.
        circuit_after: Consecutive failures that open the circuit...
        circuit_min_span: ...when they span at least this long (first to last failure).
        disable_after: Failing with no success for this long disables the endpoint.
        probe_initial: First probe interval once the circuit is open; doubles per failed probe.
        probe_max: Longest probe interval.
    """

    degraded_after: int = 5
    circuit_after: int = 20
    circuit_min_span: timedelta = timedelta(minutes=10)
    disable_after: timedelta = timedelta(days=5)
    probe_initial: timedelta = timedelta(minutes=1)
    probe_max: timedelta = timedelta(hours=1)


DEFAULT_POLICY: Final = HealthPolicy()


@dataclass(frozen=True, slots=True)
class EndpointHealth:
    """The health record of one endpoint (stored on the endpoint row).

    Attributes:
        state: Current state.
        consecutive_failures: Failures since the last success.
        failing_since: Time of the first failure of the current streak.
        last_failure_at: Time of the latest failure of the streak.
        last_success_at: Time of the latest success.
        probes: Failed probes since the circuit opened (sets the probe interval).
        next_probe_at: When the circuit is open: when the next probe may go.
        disabled_reason: When disabled: why.
    """

    state: HealthState = HealthState.HEALTHY
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    last_failure_at: datetime | None = None
    last_success_at: datetime | None = None
    probes: int = 0
    next_probe_at: datetime | None = None
    disabled_reason: DisabledReason | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    """The new health record and the warning to emit, if the state changed."""

    health: EndpointHealth
    event: HealthEvent | None = None


_EVENT_OF: Final = {
    HealthState.DEGRADED: HealthEvent.DEGRADED,
    HealthState.CIRCUIT_OPEN: HealthEvent.CIRCUIT_OPENED,
    HealthState.DISABLED: HealthEvent.DISABLED,
}


def probe_interval(probes: int, policy: HealthPolicy = DEFAULT_POLICY) -> timedelta:
    """Wait before the next probe after `probes` failed probes: doubling, capped.

    Args:
        probes: Failed probes since the circuit opened (0 when it just opened).
        policy: Thresholds.

    Returns:
        `probe_initial * 2**probes`, at most `probe_max`.

    Raises:
        ValueError: A negative count.
    """
    if probes < 0:
        raise ValueError("probes count from 0")
    if probes >= 32:
        return policy.probe_max
    interval: timedelta = policy.probe_initial * (1 << probes)
    return min(interval, policy.probe_max)


def _disabled(health: EndpointHealth, reason: DisabledReason) -> EndpointHealth:
    return replace(health, state=HealthState.DISABLED, next_probe_at=None, disabled_reason=reason)


def _on_failure(health: EndpointHealth, now: datetime, policy: HealthPolicy) -> EndpointHealth:
    failures = health.consecutive_failures + 1
    since = health.failing_since or now
    updated = replace(
        health, consecutive_failures=failures, failing_since=since, last_failure_at=now
    )
    if failures >= policy.degraded_after and now - since >= policy.disable_after:
        return _disabled(updated, DisabledReason.FAILING)
    if health.state is HealthState.CIRCUIT_OPEN:
        probes = health.probes + 1
        return replace(updated, probes=probes, next_probe_at=now + probe_interval(probes, policy))
    if failures >= policy.circuit_after and now - since >= policy.circuit_min_span:
        return replace(
            updated,
            state=HealthState.CIRCUIT_OPEN,
            probes=0,
            next_probe_at=now + probe_interval(0, policy),
        )
    if failures >= policy.degraded_after:
        return replace(updated, state=HealthState.DEGRADED)
    return updated


def record_outcome(
    health: EndpointHealth,
    outcome: Outcome,
    now: datetime,
    policy: HealthPolicy = DEFAULT_POLICY,
) -> Transition:
    """Apply an attempt's outcome to the endpoint's health.

    - 2xx: back to healthy, counters reset; `endpoint.recovered` when it was degraded or
      its circuit open (a 2xx closes the circuit and the backlog drains).
    - 410 Gone: disabled at once (`endpoint.disabled`).
    - Other failures: `degraded_after` consecutive failures make it degraded;
      `circuit_after` spanning at least `circuit_min_span` open the circuit (probes then
      wait `probe_interval`); failing for `disable_after` with no success disables it.
      A jump of several steps at once emits the warning of the state reached.
    - A disabled endpoint stays disabled until its owner enables it; late outcomes only
      update times.

    Args:
        health: The endpoint's record.
        outcome: The classified attempt.
        now: When the attempt ended.
        policy: Thresholds.

    Returns:
        The new record and the warning to emit (None when the state did not change).
    """
    if health.state is HealthState.DISABLED:
        if outcome.kind is OutcomeKind.SUCCESS:
            return Transition(replace(health, last_success_at=now))
        return Transition(replace(health, last_failure_at=now))
    if outcome.kind is OutcomeKind.SUCCESS:
        recovered = EndpointHealth(last_success_at=now)
        if health.state is HealthState.HEALTHY:
            return Transition(recovered)
        return Transition(recovered, HealthEvent.RECOVERED)
    if outcome.kind is OutcomeKind.GONE:
        gone = replace(
            health,
            consecutive_failures=health.consecutive_failures + 1,
            failing_since=health.failing_since or now,
            last_failure_at=now,
        )
        return Transition(_disabled(gone, DisabledReason.GONE), HealthEvent.DISABLED)
    updated = _on_failure(health, now, policy)
    event = _EVENT_OF.get(updated.state) if updated.state is not health.state else None
    return Transition(updated, event)


def tick(
    health: EndpointHealth, now: datetime, policy: HealthPolicy = DEFAULT_POLICY
) -> Transition:
    """Apply the passage of time (for a periodic sweep): disable a long-failing endpoint.

    An endpoint whose circuit is open may see no attempt for a while; once it has been
    failing for `disable_after` with no success it is disabled all the same.

    Args:
        health: The endpoint's record.
        now: The current time.
        policy: Thresholds.

    Returns:
        The new record and `endpoint.disabled` when it changed, else the record unchanged.
    """
    if (
        health.state in (HealthState.DEGRADED, HealthState.CIRCUIT_OPEN)
        and health.failing_since is not None
        and now - health.failing_since >= policy.disable_after
    ):
        return Transition(_disabled(health, DisabledReason.FAILING), HealthEvent.DISABLED)
    return Transition(health)
