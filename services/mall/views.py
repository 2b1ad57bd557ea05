"""The mall resource as the HTTP API shows it, apart from the stored ``Mall`` aggregate.

Classes are named as the OpenAPI document has always named these schemas (``Mall``,
``MallCounter``), so clients generated from it keep their types; routes use them as
``views.Mall``. A mall shows the aggregate's public state, ``MallState`` (a field kept
beside it reaches no client); its counters are the domain's values as they are.
"""

from __future__ import annotations

from services.mall.domain import MallCounter, MallState
from shared.http.views import ResourceView

__all__ = ["Mall", "MallCounter"]


class Mall(MallState, ResourceView):
    """One Public Service Mall in a regency or city."""
