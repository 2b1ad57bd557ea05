"""The malls of domain-facts.md ("Malls"), shaped for tests.

The facts live once, in ``mppctl.reference_data`` (the seed's data). Regency codes are
Kemendagri codes; MPP DKI Jakarta is province-level (its regency code is the province code, 31).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from mppctl.reference_data import MALLS


@dataclass(frozen=True)
class ReferenceMall:
    name: str
    province_code: str
    province_name: str
    regency_code: str
    regency_name: str
    inaugurated: date
    opened: date | None = None
    """When it started serving, where known to differ from the inauguration."""
    address: str | None = None

    def create_body(self) -> dict[str, Any]:
        """The body of ``POST /malls`` for this mall."""
        body: dict[str, Any] = {
            "name": self.name,
            "region": {
                "province_code": self.province_code,
                "regency_code": self.regency_code,
                "regency_name": self.regency_name,
            },
        }
        if self.address:
            body["address"] = self.address
        return body


def _from_seed(regency_code: str) -> ReferenceMall:
    mall = next(m for m in MALLS if m.regency_code == regency_code)
    return ReferenceMall(
        name=mall.name,
        province_code=mall.province_code,
        province_name=mall.province_name,
        regency_code=mall.regency_code,
        regency_name=mall.regency_name,
        inaugurated=mall.inaugurated_at.date(),
        opened=mall.opened_at.date() if mall.opened_at else None,
        address=mall.address,
    )


DKI_JAKARTA = _from_seed("31")
BATANG = _from_seed("33.25")
PANDEGLANG = _from_seed("36.01")
MADIUN = _from_seed("35.19")
KOTA_MOJOKERTO = _from_seed("35.76")
SANGGAU = _from_seed("61.03")
HULU_SUNGAI_SELATAN = _from_seed("63.06")

REFERENCE_MALLS: tuple[ReferenceMall, ...] = (
    DKI_JAKARTA,
    BATANG,
    PANDEGLANG,
    MADIUN,
    KOTA_MOJOKERTO,
    SANGGAU,
    HULU_SUNGAI_SELATAN,
)
