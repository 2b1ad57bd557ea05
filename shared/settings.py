"""Service configuration, read from the environment (see README "Configuration")."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings every service shares; a service subclasses it to add its own.

    Names map one to one onto environment variables (``RABBITMQ_URL`` -> ``rabbitmq_url``).
    """

    model_config = SettingsConfigDict(
        env_prefix="", extra="ignore", case_sensitive=False, hide_input_in_errors=True
    )

    rabbitmq_url: str = "amqp://guest:guest@localhost:5672/"
    mongodb_url: str | None = Field(
        default=None,
        description="Unset: an in-process, non-durable store (mongomock-motor), with a warning.",
    )
    mongodb_database: str | None = Field(
        default=None, description="Overrides the service's own database name (mpp_<service>)."
    )
    port: int | None = Field(default=None, description="HTTP port; each service has a default.")
    host: str = Field(
        default="127.0.0.1",
        description="Interface to listen on: loopback unless set (Compose sets 0.0.0.0).",
    )
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    mpp_api_key: str | None = Field(
        default=None, description="One bearer key with every scope (development, small sites)."
    )
    mpp_api_keys: str | None = Field(
        default=None,
        description=(
            'Finer keys: JSON list of {"sha256": <hex digest of the key>, "scopes": [...],'
            ' "name": ...}.'
        ),
    )

    cors_allowed_origins: str | None = Field(
        default=None,
        description=(
            "Comma-separated origins browsers may call from (https://dash.example); none if unset."
        ),
    )

    broker_connect_timeout_seconds: float = Field(
        default=60.0, gt=0, description="How long start-up waits for RabbitMQ."
    )
    broker_reconnect_seconds: float = Field(default=2.0, gt=0)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_lease_seconds: float = Field(default=30.0, gt=0)
    consumer_delivery_limit: int = Field(
        default=5,
        ge=1,
        description="Retries of a failing event before it is dead-lettered (x-delivery-limit).",
    )
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    consumer_stuck_seconds: float = Field(
        default=60.0,
        gt=0,
        description=(
            "/readyz fails while a consumer's oldest unsettled message is older than this"
            " (a failing event is dead-lettered after about 8 s with the defaults)."
        ),
    )

    # --- trust boundaries (SECURITY.md) ---------------------------------------------------
    mpp_broker_identities: str | None = Field(
        default=None,
        description=(
            "The broker user that owns each service's events, e.g. agency=mpp-agency,"
            "mou=mpp-mou,mall=mpp-mall,notify=mpp-notify; unset: any publisher is believed."
        ),
    )
    mpp_api_key_min_length: int = Field(
        default=0,
        ge=0,
        description="Refuse to start with a shorter MPP_API_KEY (Compose sets 32).",
    )
    max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Largest request body; larger ones get 413."
    )
    auth_failures_per_minute: int = Field(
        default=20, ge=1, description="Failed authentications per client address before 429."
    )
    http_header_timeout_seconds: float = Field(
        default=10.0, gt=0, description="A connection idle this long between requests is closed."
    )
    http_body_timeout_seconds: float = Field(
        default=15.0, gt=0, description="A request body that takes longer to arrive gets 408."
    )

    @classmethod
    def of(cls, settings: ServiceSettings | None) -> Self:
        """``settings`` as this service's settings: the shared ones as given, the service's
        own from the environment (or their defaults). Tests and ``build_app`` callers pass
        plain ``ServiceSettings``; each service reads its subclass through this."""
        if settings is None:
            return cls()
        if isinstance(settings, cls):
            return settings
        return cls(**settings.model_dump())

    @model_validator(mode="after")
    def _api_key_long_enough(self) -> ServiceSettings:
        key = self.mpp_api_key
        if key is not None and len(key) < self.mpp_api_key_min_length:
            raise ValueError(
                f"MPP_API_KEY must be at least {self.mpp_api_key_min_length} characters"
                " (e.g. openssl rand -hex 32)"
            )
        return self
