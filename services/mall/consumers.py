"""What the mall service consumes: agencies (``mall.agencies``) and MoUs in force
(``mall.mous``), and the counter flags that follow from them.
"""

from __future__ import annotations

from services.mall.handlers import reconcile_counter_flags
from services.mall.projections import MOU_EVENT_TYPES, MouRegister
from services.mall.repository import MallRepository
from shared.events.catalogue import AgencyUpdated, MouExpired, MouTerminated
from shared.events.envelope import CloudEvent
from shared.messaging.consumer import Consumption
from shared.messaging.topology import MALL_AGENCIES_QUEUE, MALL_MOUS_QUEUE
from shared.projections.agencies import AGENCY_BINDINGS, AgencyDirectory


class CounterFlags:
    """Keeps counter flags in step with the MoU and agency projections."""

    def __init__(self, malls: MallRepository, agencies: AgencyDirectory, mous: MouRegister) -> None:
        self._malls = malls
        self._agencies = agencies
        self._mous = mous

    async def on_mou_event(self, event: CloudEvent) -> None:
        """Fold the MoU in, then re-check the counters of each of its parties."""
        mou = await self._mous.apply(event)
        if mou is None:
            return
        ended = {MouTerminated.type: "was terminated", MouExpired.type: "expired"}.get(event.type)
        for agency_id in mou.parties:
            reason = (
                f"no MoU in force: {mou.label} {ended}"
                if ended
                else f"no MoU in force (last seen: {mou.label})"
            )
            await reconcile_counter_flags(
                agency_id, reason, malls=self._malls, agencies=self._agencies, mous=self._mous
            )

    async def on_agency_updated(self, event: CloudEvent) -> None:
        """A change of kind (to or from local_government) may set or clear flags."""
        data = AgencyUpdated.model_validate(event.data)
        if "kind" in data.changed:
            await reconcile_counter_flags(
                data.agency_id,
                f"no MoU in force: {data.code} is now of kind {data.kind}",
                malls=self._malls,
                agencies=self._agencies,
                mous=self._mous,
            )


def consumers(agencies: AgencyDirectory, flags: CounterFlags) -> list[Consumption]:
    """The agency directory and MoU register, each re-checking counter flags as it changes."""
    return [
        Consumption(
            MALL_AGENCIES_QUEUE,
            AGENCY_BINDINGS,
            # Dicts keep order: the directory is updated before the flags are re-checked.
            {**agencies.handlers(), "agency.updated": flags.on_agency_updated},
        ),
        Consumption(
            MALL_MOUS_QUEUE,
            MOU_EVENT_TYPES,
            {event_type: flags.on_mou_event for event_type in MOU_EVENT_TYPES},
        ),
    ]
