"""The agency resource as the HTTP API shows it, apart from the stored ``Agency`` aggregate.

Classes are named as the OpenAPI document has always named these schemas (``Agency``), so
clients generated from it keep their types; routes use them as ``views.Agency``.
"""

from __future__ import annotations

from shared.clock import UtcDateTime
from shared.events.catalogue import AgencyKind, AgencyService, AgencyStatus, Contact
from shared.http.views import ResourceView


class Agency(ResourceView):
    """A ministry, agency, SOE, public body or local government taking part in the programme."""

    code: str
    name: str
    acronym: str | None = None
    kind: AgencyKind
    contact: Contact | None = None
    services: list[AgencyService] = []
    status: AgencyStatus = "active"
    deactivated_at: UtcDateTime | None = None
    deactivation_reason: str | None = None
