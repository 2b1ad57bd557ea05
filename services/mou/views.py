"""The MoU resource as the HTTP API shows it, apart from the stored ``Mou`` aggregate.

Classes are named as the OpenAPI document has always named these schemas (``Mou``,
``Party``, ``WorkingTeamMember``), so clients generated from it keep their types; routes use
them as ``views.Mou``. An MoU shows the aggregate's public state, ``MouState`` (a field kept
beside it reaches no client); its parties and team members are the domain's values as they
are.
"""

from __future__ import annotations

from services.mou.domain import MouState
from services.mou.parties import Party, WorkingTeamMember
from shared.http.views import ResourceView

__all__ = ["Mou", "Party", "WorkingTeamMember"]


class Mou(MouState, ResourceView):
    """A multi-party Memorandum of Understanding with KemenPANRB, and its working team."""
