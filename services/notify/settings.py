"""The notify service's own settings, beside those every service shares."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator

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
        default=0.1, ge=0, lt=1, description="Each delay is varied by up to this share."
    )
    webhook_retry_after_max_seconds: float = Field(
        default=86400.0, ge=0, description="The longest wait a receiver's Retry-After can ask."
    )
    webhook_timeout_seconds: float = Field(
        default=15.0, gt=0, description="How long one delivery attempt may take."
    )
    webhook_concurrency: int = Field(
        default=32, ge=1, description="Delivery attempts in flight at once, per replica."
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
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the dispatcher looks for due deliveries."
    )
    webhook_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long a replica owns a claimed delivery before another may take it.",
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
    sse_ping_seconds: float = Field(
        default=15.0, gt=0, description="Keep-alive comment interval on /events/stream."
    )
    sse_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often an open stream reads the log (events from other replicas).",
    )
    event_log_gap_grace_seconds: float = Field(
        default=5.0,
        ge=0,
        description=(
            "How long readers wait for a log position that was taken but not yet written"
            " (another replica mid-append) before reading past it."
        ),
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

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> NotifySettings:
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError("webhook_lease_seconds must exceed webhook_timeout_seconds")
        return self

    @property
    def retry_schedule(self) -> tuple[float, ...]:
        return parse_schedule(self.webhook_retry_schedule)


def notify_settings_from(settings: ServiceSettings | None) -> NotifySettings:
    """``settings`` as notify settings (a plain ``ServiceSettings`` gets notify's defaults)."""
    if settings is None:
        return NotifySettings()
    if isinstance(settings, NotifySettings):
        return settings
    return NotifySettings(**settings.model_dump())
