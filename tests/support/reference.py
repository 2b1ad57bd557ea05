"""Reference data from /work/shared/domain-facts.md, for seeding and realistic tests.

``MOU_2022_PARTIES`` are the 17 signatories of the MoU of 28 June 2022, each a body that
``POST /agencies`` accepts as is: ``code``, ``name``, ``acronym`` (None where no short form is
usual), ``kind`` and a few typical MPP ``services`` (``{code, name}``) taken from the facts'
"typical MPP services" column.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

MOU_2022_TITLE = (
    "Nota Kesepahaman tentang Penyelenggaraan Pelayanan Publik pada Mal Pelayanan Publik"
)
MOU_2022_SIGNED_ON = date(2022, 6, 28)
MOU_2022_SIGNED_AT = datetime(2022, 6, 28, 3, 0, tzinfo=UTC)
"""10:00 WIB on the signing day; the facts give the day only, the hour is illustrative."""
MOU_2022_WORKING_TEAM = "Tim Kerja Percepatan Pembentukan Mal Pelayanan Publik"
MOU_2022_SCOPE = (
    "policy",
    "monitoring and evaluation",
    "oversight",
    "facilities, staff and budget",
    "data exchange",
)


def _services(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"code": code, "name": name} for code, name in pairs]


MOU_2022_PARTIES: list[dict[str, Any]] = [
    {
        "code": "KEMENPANRB",
        "name": "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
        "acronym": "KemenPANRB",
        "kind": "ministry",
        "services": [],  # the programme owner runs no counter
    },
    {
        "code": "KEMENDAGRI",
        "name": "Kementerian Dalam Negeri",
        "acronym": "Kemendagri",
        "kind": "ministry",
        "services": _services(
            ("EKTP", "e-KTP (electronic identity card)"),
            ("KK", "Kartu Keluarga (family card)"),
            ("AKTA-LAHIR", "Birth certificate (akta kelahiran)"),
            ("AKTA-KEMATIAN", "Death certificate (akta kematian)"),
            ("KIA", "Kartu Identitas Anak (child identity card)"),
        ),
    },
    {
        "code": "MA",
        "name": "Mahkamah Agung",
        "acronym": "MA",
        "kind": "agency",
        "services": _services(
            ("ECOURT", "Case registration and e-Court help"),
            ("INFO-PERKARA", "Case information"),
            ("AKTA-CERAI", "Divorce certificate (akta cerai)"),
        ),
    },
    {
        "code": "KEMENKEU",
        "name": "Kementerian Keuangan",
        "acronym": "Kemenkeu",
        "kind": "ministry",
        "services": _services(
            ("NPWP", "NPWP registration"),
            ("SPT", "Tax return (SPT) help"),
            ("KONSULTASI-PAJAK", "Tax consultation"),
        ),
    },
    {
        "code": "KEMENKUMHAM",
        "name": "Kementerian Hukum dan HAM",
        "acronym": "Kemenkumham",
        "kind": "ministry",
        "services": _services(
            ("PASPOR", "Passport application"),
            ("PASPOR-PENGGANTIAN", "Passport replacement"),
        ),
    },
    {
        "code": "KEMENAG",
        "name": "Kementerian Agama",
        "acronym": "Kemenag",
        "kind": "ministry",
        "services": _services(
            ("NIKAH", "Marriage registration"),
            ("HAJI", "Hajj registration"),
        ),
    },
    {
        "code": "ATRBPN",
        "name": "Kementerian Agraria dan Tata Ruang/Badan Pertanahan Nasional",
        "acronym": "ATR/BPN",
        "kind": "ministry",
        "services": _services(
            ("CEK-SERTIFIKAT", "Land certificate check"),
            ("BALIK-NAMA", "Title transfer (balik nama)"),
            ("ROYA", "Roya (release of a mortgage)"),
            ("INFO-PERTANAHAN", "Land information"),
        ),
    },
    {
        "code": "KEJAGUNG",
        "name": "Kejaksaan Agung",
        "acronym": "Kejagung",
        "kind": "agency",
        "services": _services(
            ("TILANG", "Traffic-fine evidence pickup"),
            ("KONSULTASI-HUKUM", "Legal advice"),
        ),
    },
    {
        "code": "POLRI",
        "name": "Kepolisian Negara Republik Indonesia",
        "acronym": "Polri",
        "kind": "agency",
        "services": _services(
            ("SKCK", "SKCK (police clearance)"),
            ("SIM", "SIM (driving licence) renewal"),
            ("SAMSAT", "Vehicle tax (Samsat)"),
        ),
    },
    {
        "code": "BNN",
        "name": "Badan Narkotika Nasional",
        "acronym": "BNN",
        "kind": "agency",
        "services": _services(
            ("SKHPN", "SKHPN drug-test certificate"),
            ("ASESMEN-REHABILITASI", "Rehabilitation assessment"),
        ),
    },
    {
        "code": "BPOM",
        "name": "Badan Pengawas Obat dan Makanan",
        "acronym": "BPOM",
        "kind": "agency",
        "services": _services(
            ("REGISTRASI-PRODUK", "Product registration advice"),
            ("PENGADUAN", "Consumer complaints"),
        ),
    },
    {
        "code": "BP2MI",
        "name": "Badan Pelindungan Pekerja Migran Indonesia",
        "acronym": "BP2MI",
        "kind": "agency",
        "services": _services(
            ("INFO-KERJA-LN", "Overseas job information"),
            ("DOKUMEN-PMI", "Migrant-worker documents"),
            ("CRISIS-CENTER", "Crisis centre"),
        ),
    },
    {
        "code": "PERPUSNAS",
        "name": "Perpustakaan Nasional",
        "acronym": "Perpusnas",
        "kind": "agency",
        "services": _services(
            ("KEANGGOTAAN", "Library membership"),
            ("POJOK-BACA", "Reading corner"),
        ),
    },
    {
        "code": "BPJSKES",
        "name": "BPJS Kesehatan",
        "acronym": None,
        "kind": "public_body",
        "services": _services(
            ("JKN-PENDAFTARAN", "JKN enrolment"),
            ("JKN-UBAH-DATA", "JKN data changes"),
            ("JKN-CETAK-KARTU", "JKN card reprint"),
        ),
    },
    {
        "code": "BPJSTK",
        "name": "BPJS Ketenagakerjaan",
        "acronym": None,
        "kind": "public_body",
        "services": _services(
            ("KEPESERTAAN", "Enrolment"),
            ("KLAIM-JHT", "JHT (old-age savings) claim"),
        ),
    },
    {
        "code": "TASPEN",
        "name": "PT Taspen (Persero)",
        "acronym": "Taspen",
        "kind": "soe",
        "services": _services(
            ("KLAIM-PENSIUN", "Pension claim"),
            ("KLAIM-THT", "THT (old-age savings) claim"),
            ("OTENTIKASI", "Pensioner authentication"),
        ),
    },
    {
        "code": "PLN",
        "name": "PT PLN (Persero)",
        "acronym": "PLN",
        "kind": "soe",
        "services": _services(
            ("PASANG-BARU", "New connection"),
            ("TAMBAH-DAYA", "Added power"),
            ("PENGADUAN", "Complaints"),
        ),
    },
]

MOU_2022_CODES: list[str] = [party["code"] for party in MOU_2022_PARTIES]


def reference_agency(code: str) -> dict[str, Any]:
    """One of the 17 bodies by its code, as a ``POST /agencies`` body (a copy)."""
    for party in MOU_2022_PARTIES:
        if party["code"] == code:
            return {**party, "services": [dict(s) for s in party["services"]]}
    raise KeyError(code)
