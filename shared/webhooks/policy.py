"""The delivery policy read from the settings: schedule, timeouts, leases, health thresholds."""

from dataclasses import dataclass
from datetime import timedelta

from shared.settings import Settings
from shared.webhooks.health import HealthPolicy
from shared.webhooks.schedule import validate_schedule


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """Everything the delivery worker decides by (tests compress the durations)."""

    schedule: tuple[timedelta, ...]
    throttled_minimum: timedelta
    connect_timeout: float
    lease: timedelta
    sweep_grace: timedelta
    lane_budget: float
    default_in_flight: int
    rotation_grace: timedelta
    health: HealthPolicy
    lane_split_after: float = 0.1
    """Seconds every lane of an endpoint must wait on a request before another opens."""
    lane_slow_after: float = 1.0
    """Seconds an answer may take before its endpoint's lanes count as slow ones."""
    allow_hosts: tuple[str, ...] = ()
    allow_http_hosts: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> "DeliveryPolicy":
        """The policy of these settings."""
        return cls(
            schedule=validate_schedule(
                tuple(timedelta(seconds=s) for s in settings.WEBHOOK_RETRY_SCHEDULE_SECONDS)
            ),
            throttled_minimum=timedelta(seconds=settings.WEBHOOK_THROTTLED_MINIMUM_SECONDS),
            connect_timeout=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS,
            lease=timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS),
            sweep_grace=timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE_SECONDS),
            lane_budget=settings.WEBHOOK_LANE_BUDGET_SECONDS,
            default_in_flight=settings.WEBHOOK_MAX_IN_FLIGHT,
            rotation_grace=timedelta(seconds=settings.WEBHOOK_ROTATION_GRACE_SECONDS),
            health=HealthPolicy(
                degraded_after=settings.WEBHOOK_DEGRADED_AFTER,
                circuit_after=settings.WEBHOOK_CIRCUIT_AFTER,
                circuit_min_span=timedelta(seconds=settings.WEBHOOK_CIRCUIT_MIN_SPAN_SECONDS),
                disable_after=timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER_SECONDS),
                probe_initial=timedelta(seconds=settings.WEBHOOK_PROBE_INITIAL_SECONDS),
                probe_max=timedelta(seconds=settings.WEBHOOK_PROBE_MAX_SECONDS),
            ),
            allow_hosts=tuple(settings.WEBHOOK_ALLOW_HOSTS),
            allow_http_hosts=tuple(settings.WEBHOOK_ALLOW_HTTP_HOSTS),
        )
