"""The malls of domain-facts.md ("Malls"), shaped for tests.

The facts live once, in ``mppctl.reference_data`` (the seed's data). Regency codes are
Kemendagri codes; MPP DKI Jakarta is province-level (its regency code is the province code, 31).
"""

from __future__ import annotations

from mppctl.reference_data import MALLS, MallRef

ReferenceMall = MallRef
"""A reference mall; ``create_body()`` is its ``POST /malls`` body, ``region`` its region."""


def _from_seed(regency_code: str) -> MallRef:
    return next(m for m in MALLS if m.regency_code == regency_code)


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
