"""The malls of domain-facts.md ("Malls"), as test and seed data.

Regency codes are Kemendagri codes; MPP DKI Jakarta is province-level (its regency code is
the province code, 31).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


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


DKI_JAKARTA = ReferenceMall(
    name="MPP DKI Jakarta",
    province_code="31",
    province_name="DKI Jakarta",
    regency_code="31",
    regency_name="Provinsi DKI Jakarta",
    inaugurated=date(2017, 10, 12),
)
BATANG = ReferenceMall(
    name="MPP Kabupaten Batang",
    province_code="33",
    province_name="Jawa Tengah",
    regency_code="33.25",
    regency_name="Kabupaten Batang",
    inaugurated=date(2020, 1, 23),
)
PANDEGLANG = ReferenceMall(
    name="MPP Kabupaten Pandeglang",
    province_code="36",
    province_name="Banten",
    regency_code="36.01",
    regency_name="Kabupaten Pandeglang",
    inaugurated=date(2020, 8, 31),
)
MADIUN = ReferenceMall(
    name="MPP Kabupaten Madiun",
    province_code="35",
    province_name="Jawa Timur",
    regency_code="35.19",
    regency_name="Kabupaten Madiun",
    inaugurated=date(2021, 11, 24),
)
KOTA_MOJOKERTO = ReferenceMall(
    name="MPP Gajah Mada, Kota Mojokerto",
    province_code="35",
    province_name="Jawa Timur",
    regency_code="35.76",
    regency_name="Kota Mojokerto",
    inaugurated=date(2022, 3, 22),
)
SANGGAU = ReferenceMall(
    name="MPP Kabupaten Sanggau",
    province_code="61",
    province_name="Kalimantan Barat",
    regency_code="61.03",
    regency_name="Kabupaten Sanggau",
    inaugurated=date(2022, 5, 24),
    opened=date(2020, 12, 10),
)
HULU_SUNGAI_SELATAN = ReferenceMall(
    name="MPP Kabupaten Hulu Sungai Selatan",
    province_code="63",
    province_name="Kalimantan Selatan",
    regency_code="63.06",
    regency_name="Kabupaten Hulu Sungai Selatan",
    inaugurated=date(2022, 5, 31),
    address="Pasar Los Batu, Kandangan",
)

REFERENCE_MALLS: tuple[ReferenceMall, ...] = (
    DKI_JAKARTA,
    BATANG,
    PANDEGLANG,
    MADIUN,
    KOTA_MOJOKERTO,
    SANGGAU,
    HULU_SUNGAI_SELATAN,
)
