"""The MoU service's own settings, beside those every service shares."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class MouSettings(ServiceSettings):
    """``MOU_EXPIRY_INTERVAL_SECONDS``: how often the service looks for MoUs whose term ran out."""

    mou_expiry_interval_seconds: float = Field(
        default=60.0, gt=0, description="Pause between two searches for MoUs to expire."
    )

    @classmethod
    def of(cls, settings: ServiceSettings | None) -> MouSettings:
        """``settings`` as MoU settings (the shared ones given, the MoU ones from the env)."""
        if settings is None:
            return cls()
        if isinstance(settings, cls):
            return settings
        return cls(**settings.model_dump())
