"""One realistic ``data`` example per event type, from the programme's real records.

Used by the generated catalogue (docs/events.md) and checked against the models by the tests,
so an example can never drift from what the services publish.
"""

from __future__ import annotations

from typing import Any

_KEMENPANRB = {"agency_id": "agc_0181a3c2e1f0a1b2c3d4e5", "code": "KEMENPANRB",
               "name": "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi"}  # fmt: skip
_KEMENKUMHAM = {"agency_id": "agc_0181a3c2e1f1b2c3d4e5f6", "code": "KEMENKUMHAM",
                "name": "Kementerian Hukum dan HAM"}  # fmt: skip
_MOU = {"mou_id": "mou_0181a3c2e2a0c3d4e5f6a7", "number": None,
        "title": "Nota Kesepahaman tentang Penyelenggaraan Pelayanan Publik pada Mal Pelayanan Publik"}  # fmt: skip
_SANGGAU = {
    "mall_id": "mal_0181a3c2e3b0d4e5f6a7b8",
    "name": "MPP Kabupaten Sanggau",
    "region": {"province_code": "61", "province_name": "Kalimantan Barat",
               "regency_code": "61.03", "regency_name": "Kabupaten Sanggau"},
}  # fmt: skip
_SIGNED_KEMENKUMHAM = {**_KEMENKUMHAM, "signatory_name": "Menteri Hukum dan HAM",
                       "signatory_title": "Menteri Hukum dan Hak Asasi Manusia",
                       "signed_at": "2022-06-28T03:00:00Z"}  # fmt: skip
_SIGNED_KEMENPANRB = {**_KEMENPANRB, "signatory_name": "Menteri PANRB",
                      "signatory_title": "Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
                      "signed_at": "2022-06-28T03:05:00Z"}  # fmt: skip
_PASPOR = {"code": "PASPOR", "name": "Permohonan dan penggantian paspor"}

EXAMPLES: dict[str, dict[str, Any]] = {
    "agency.registered": {
        **_KEMENKUMHAM, "version": 1, "acronym": "Kemenkumham", "kind": "ministry",
        "contact": {"website": "https://www.kemenkumham.go.id"}, "services": [_PASPOR],
        "status": "active",
    },
    "agency.updated": {
        **_KEMENKUMHAM, "version": 2, "acronym": "Kemenkumham", "kind": "ministry",
        "contact": {"website": "https://www.kemenkumham.go.id", "phone": "+62 21 5253004"},
        "changed": ["contact"],
    },
    "agency.service_added": {
        **_KEMENKUMHAM, "version": 3,
        "service": {"code": "IZIN_TINGGAL", "name": "Izin tinggal keimigrasian"},
        "services": [_PASPOR, {"code": "IZIN_TINGGAL", "name": "Izin tinggal keimigrasian"}],
    },
    "agency.service_removed": {
        **_KEMENKUMHAM, "version": 4,
        "service": {"code": "IZIN_TINGGAL", "name": "Izin tinggal keimigrasian"},
        "services": [_PASPOR],
    },
    "agency.deactivated": {**_KEMENKUMHAM, "version": 5, "reason": "reorganised into two ministries"},
    "mou.drafted": {
        **_MOU, "version": 1, "parties": [_KEMENPANRB, _KEMENKUMHAM],
        "valid_from": None, "valid_until": "2027-06-28", "status": "draft",
    },
    "mou.signing_scheduled": {**_MOU, "version": 2, "signing_at": "2022-06-28T02:00:00Z"},
    "mou.party_signed": {
        **_MOU, "version": 3, "party": _SIGNED_KEMENKUMHAM, "signed_count": 1, "party_count": 2,
    },
    "mou.signed": {
        **_MOU, "version": 4, "parties": [_SIGNED_KEMENKUMHAM, _SIGNED_KEMENPANRB],
        "signed_at": "2022-06-28T03:05:00Z", "valid_from": "2022-06-28", "valid_until": "2027-06-28",
    },
    "mou.team_member_added": {
        **_MOU, "version": 5,
        "member": {"agency_id": _KEMENPANRB["agency_id"], "agency_code": "KEMENPANRB",
                   "agency_name": _KEMENPANRB["name"], "name": "Deputi Bidang Pelayanan Publik",
                   "role": "Ketua"},
    },
    "mou.terminated": {
        **_MOU, "version": 6, "parties": [_KEMENPANRB, _KEMENKUMHAM],
        "reason": "superseded by the 2025 MoU", "terminated_at": "2025-01-15T02:00:00Z",
    },
    "mou.expired": {
        **_MOU, "version": 6, "parties": [_KEMENPANRB, _KEMENKUMHAM],
        "valid_until": "2027-06-28", "expired_at": "2027-06-29T00:01:00Z",
    },
    "mall.planned": {
        **_SANGGAU, "version": 1, "address": "Jl. Jenderal Sudirman, Sanggau", "status": "planned",
    },
    "mall.opened": {**_SANGGAU, "version": 2, "opened_at": "2020-12-10T01:00:00Z"},
    "mall.inauguration_scheduled": {
        **_SANGGAU, "version": 3, "scheduled_for": "2022-05-24T02:00:00Z",
    },
    "mall.inaugurated": {
        **_SANGGAU, "version": 4, "inaugurated_at": "2022-05-24T02:00:00Z",
        "inaugurated_by": "Menteri PANRB",
    },
    "mall.counter_opened": {
        **_SANGGAU, "version": 5,
        "counter": {"agency_id": _KEMENKUMHAM["agency_id"], "code": "KEMENKUMHAM",
                    "name": _KEMENKUMHAM["name"], "services": ["PASPOR"],
                    "opened_at": "2022-05-24T03:00:00Z"},
    },
    "mall.counter_closed": {
        **_SANGGAU, "version": 6, "agency_id": _KEMENKUMHAM["agency_id"], "code": "KEMENKUMHAM",
        "agency_name": _KEMENKUMHAM["name"], "closed_at": "2023-01-02T01:00:00Z",
    },
    "mall.counter_flagged": {
        **_SANGGAU, "version": 7, "agency_id": _KEMENKUMHAM["agency_id"], "code": "KEMENKUMHAM",
        "agency_name": _KEMENKUMHAM["name"], "flagged": True, "reason": "no MoU in force",
    },
    "mall.closed": {
        **_SANGGAU, "version": 8, "closed_at": "2030-01-01T01:00:00Z",
        "reason": "moved to a new building",
    },
}  # fmt: skip
