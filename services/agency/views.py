"""The agency resource as the HTTP API shows it, apart from the stored ``Agency`` aggregate.

Classes are named as the OpenAPI document has always named these schemas (``Agency``), so
clients generated from it keep their types; routes use them as ``views.Agency``. Its fields
are the aggregate's public state, ``AgencyState``: a field kept beside it reaches no client.
"""

from __future__ import annotations

from services.agency.domain import AgencyState
from shared.http.views import ResourceView


class Agency(AgencyState, ResourceView):
    """A ministry, agency, SOE, public body or local government taking part in the programme."""
