"""The notify service's own settings, beside those every service shares."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from shared.egress import parse_networks
from shared.settings import ServiceSettings

STANDARD_WEBHOOKS_SCHEDULE = "0,5,300,1800,7200,18000,36000,50400,72000,86400"
"""Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (Standard Webhooks)."""


def parse_schedule(raw: str) -> tuple[float, ...]:
    """``"0,5,300"`` as delays in seconds; the first is the wait before the first attempt."""
    try:
        delays = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError as error:
        raise ValueError(f"not a comma-separated list of seconds: {raw!r}") from error
    if not delays:
        raise ValueError("the retry schedule needs at least one delay")
    if any(d < 0 for d in delays):
        raise ValueError("retry delays cannot be negative")
    return delays


class NotifySettings(ServiceSettings):
    """Environment variables of the notify service (``WEBHOOK_RETRY_SCHEDULE``, ...)."""

    webhook_retry_schedule: str = Field(
        default=STANDARD_WEBHOOKS_SCHEDULE,
        description=(
            "Comma-separated seconds: the wait before the first attempt, then before each"
            " retry; its length is the number of attempts a message gets."
        ),
    )
    webhook_jitter_ratio: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="Deprecated and ignored: retries wait in broker delay tiers, whose"
        " delays are the schedule's exact values.",
    )
    webhook_retry_after_max_seconds: float = Field(
        default=86400.0, ge=0, description="The longest wait a receiver's Retry-After can ask."
    )
    webhook_timeout_seconds: float = Field(
        default=15.0, gt=0, description="How long one delivery attempt may take."
    )
    webhook_concurrency: int = Field(
        default=64,
        ge=1,
        description="Delivery attempts in flight at once, per replica (and pooled keep-alive"
        " connections).",
    )
    webhook_failure_threshold: int = Field(
        default=10,
        ge=1,
        description="Messages in a row that exhaust their retries before a subscription is"
        " disabled.",
    )
    webhook_secret_rotation_grace_seconds: float = Field(
        default=86400.0,
        ge=0,
        description="How long the previous secret still signs deliveries after a rotation.",
    )
    webhook_max_in_flight_limit: int = Field(
        default=64,
        ge=1,
        le=1000,
        description="The highest max_in_flight a subscription may ask for.",
    )
    webhook_allowed_networks: str = Field(
        default="",
        description=(
            "Comma-separated CIDRs webhooks may reach although they are internal (on-premise"
            " receivers, e.g. 10.20.0.0/16); by default only public addresses are allowed."
        ),
    )
    mpp_secret_keys: SecretStr | None = Field(
        default=None,
        description=(
            "Comma-separated Fernet keys that encrypt webhook secrets at rest: the first"
            " encrypts, all decrypt. Unset: an ephemeral key (development only)."
        ),
    )
    webhook_response_excerpt_chars: int = Field(
        default=1000, ge=0, description="How much of a receiver's answer each attempt keeps."
    )
    webhook_delivery_limit: int = Field(
        default=20,
        ge=1,
        description="Times a subscription queue hands out one message (crashes included)"
        " before it dead-letters it into notify.subscriptions.dlq.",
    )
    attempt_retention_days: float = Field(
        default=30.0, gt=0, description="How long the attempt history is kept."
    )
    event_log_max_age: str = Field(
        default="7D",
        pattern=r"^[0-9]{1,6}[YMDhms]$",
        description="The event log stream's x-max-age: segments older than this are dropped"
        " (Y, M, D, h, m, s).",
    )
    event_log_max_bytes: int = Field(
        default=5 * 1024**3,
        ge=1024**2,
        description="The event log stream's x-max-length-bytes.",
    )
    event_log_segment_bytes: int = Field(
        default=100 * 1024**2,
        ge=64 * 1024,
        description="Segment size of the stream: retention drops whole segments.",
    )
    event_log_dedupe_window: int = Field(
        default=100_000,
        ge=1,
        description="Recent event ids each replica remembers to drop duplicates: at least"
        " this many, up to twice (two fixed tables of 8-byte digests and positions).",
    )
    live_feed_ring_size: int = Field(
        default=10_000,
        ge=10,
        description="Recent events kept in memory for the live feed and recent pages: at"
        " least this many (whole blocks of up to 512 go at once).",
    )
    sse_ping_seconds: float = Field(
        default=15.0, gt=0, description="Keep-alive comment interval on /events/stream."
    )
    sse_max_connections: int = Field(
        default=1000,
        ge=1,
        description="Open /events/stream connections per replica; beyond it: 503.",
    )
    subscription_refresh_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How often each replica reloads every subscription (beside the change"
        " notices replicas send each other).",
    )
    notify_gauges_seconds: float = Field(
        default=10.0, gt=0, description="How often the backlog gauges are refreshed."
    )

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _valid_networks(cls, value: str) -> str:
        parse_networks(value)
        return value

    @property
    def retry_schedule(self) -> tuple[float, ...]:
        return parse_schedule(self.webhook_retry_schedule)
