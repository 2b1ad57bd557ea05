"""The MoU service's own settings, beside those every service shares."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class MouSettings(ServiceSettings):
    """``MOU_EXPIRY_INTERVAL_SECONDS``: how often the service looks for MoUs whose term ran out."""

    mou_expiry_interval_seconds: float = Field(
        default=60.0, gt=0, description="Pause between two searches for MoUs to expire."
    )
