"""The 2022 MoU's reference data, as request bodies for tests.

The facts themselves (from domain-facts.md) live once, in ``mppctl.reference_data``, which
the seed loads; this module only shapes them as ``POST /agencies`` bodies.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from mppctl.reference_data import MOU_2022, MOU_AGENCIES, AgencyRef

MOU_2022_TITLE = MOU_2022.title
MOU_2022_SIGNED_ON: date = MOU_2022.signing_at.astimezone(UTC).date()
MOU_2022_SIGNED_AT: datetime = MOU_2022.signing_at.astimezone(UTC)
MOU_2022_WORKING_TEAM = MOU_2022.working_team_name


def _body(agency: AgencyRef) -> dict[str, Any]:
    return {
        "code": agency.code,
        "name": agency.name,
        "acronym": agency.acronym,
        "kind": agency.kind,
        "services": [{"code": s.code, "name": s.name} for s in agency.services],
    }


MOU_2022_PARTIES: list[dict[str, Any]] = [_body(a) for a in MOU_AGENCIES]
"""The 17 signatories of the MoU of 28 June 2022, each a body ``POST /agencies`` accepts."""

MOU_2022_CODES: list[str] = [party["code"] for party in MOU_2022_PARTIES]


def reference_agency(code: str) -> dict[str, Any]:
    """One of the 17 bodies by its code, as a ``POST /agencies`` body (a copy)."""
    for party in MOU_2022_PARTIES:
        if party["code"] == code:
            return {**party, "services": [dict(s) for s in party["services"]]}
    raise KeyError(code)
