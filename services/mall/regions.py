"""Indonesia's 38 provinces by Kemendagri code, and the rules a mall's region follows.

Regencies and cities (kabupaten/kota) are coded ``PP.RR`` under their province ``PP``
(e.g. 61.03, Kabupaten Sanggau, in 61, Kalimantan Barat). The service does not ship the 514
regencies: it checks that a regency code is well formed and lies in its province, and takes
the regency's name from the caller. A province-level mall (MPP DKI Jakarta) uses the
province's own code as its regency code.
"""

from __future__ import annotations

import re

from shared.errors import RuleViolated
from shared.events.catalogue import Region

PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}
"""Province Kemendagri code to its name (Kepmendagri 300.2.2-2138/2025)."""

PROVINCE_CODE = re.compile(r"^\d{2}$")
REGENCY_CODE = re.compile(r"^\d{2}\.\d{2}$")


def province_name(code: str) -> str:
    """The name of province ``code``; 422 on ``region.province_code`` if there is none."""
    if not PROVINCE_CODE.match(code):
        raise RuleViolated(
            "a province's Kemendagri code is two digits, e.g. 61", field="region.province_code"
        )
    name = PROVINCES.get(code)
    if name is None:
        raise RuleViolated(
            f"{code} is not the Kemendagri code of any of the 38 provinces",
            field="region.province_code",
        )
    return name


def region_of(
    *,
    province_code: str,
    regency_code: str,
    regency_name: str,
    province_name_given: str | None = None,
) -> Region:
    """The region with its province's name filled in, or 422 naming the field at fault.

    Args:
        province_code: ``PP``, one of the 38.
        regency_code: ``PP.RR`` in that province, or ``PP`` itself for a province-level mall.
        regency_name: e.g. ``Kabupaten Sanggau``.
        province_name_given: the caller's province name, if any; it must be the official one.
    """
    name = province_name(province_code)
    if province_name_given is not None and province_name_given.strip().casefold() != (
        name.casefold()
    ):
        raise RuleViolated(
            f"province {province_code} is {name}, not {province_name_given}",
            field="region.province_name",
        )
    if regency_code != province_code:
        if not REGENCY_CODE.match(regency_code):
            raise RuleViolated(
                "a regency's Kemendagri code is PP.RR, e.g. 61.03 (or the province code"
                " itself for a province-level mall)",
                field="region.regency_code",
            )
        if not regency_code.startswith(province_code + "."):
            raise RuleViolated(
                f"regency {regency_code} is not in province {province_code} ({name}):"
                f" its code must start with {province_code}.",
                field="region.regency_code",
            )
    if not regency_name.strip():
        raise RuleViolated("the regency or city needs a name", field="region.regency_name")
    return Region(
        province_code=province_code,
        province_name=name,
        regency_code=regency_code,
        regency_name=regency_name.strip(),
    )
