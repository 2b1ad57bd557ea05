"""The programme's real data, typed: what ``mppctl seed`` loads through the public APIs.

Sources: /work/shared/domain-facts.md (KemenPANRB releases, regional news, the Kemendagri
region list). Where a fact is not known, the data says so instead of inventing it:

- the MoU's number is not known (``None``);
- signatories are named by office; ``signatory_name`` is a clear placeholder
  ("Pejabat penandatangan <CODE>"), not a guessed person;
- working-team members are positions, not people;
- ``inaugurated_by`` is the office "Menteri PANRB";
- malls other than Sanggau have no separately known soft-launch date: they are taken to have
  opened on their inauguration day.

Times carry the local offset of the place (WIB +07:00, WITA +08:00), so the dates stay the
same once the services store them in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from shared.agency_rules import AgencyKind

WIB = timezone(timedelta(hours=7), "WIB")
"""Western Indonesia Time: Jakarta, Java, West Kalimantan."""
WITA = timezone(timedelta(hours=8), "WITA")
"""Central Indonesia Time: South Kalimantan."""


@dataclass(frozen=True)
class ServiceRef:
    """A service (layanan) an agency offers at MPP counters."""

    code: str
    name: str


@dataclass(frozen=True)
class AgencyRef:
    code: str
    name: str
    acronym: str | None
    kind: AgencyKind
    services: tuple[ServiceRef, ...] = ()
    english_name: str | None = None


@dataclass(frozen=True)
class SignatoryRef:
    """Who signs for a party: the office is known, the person is a placeholder."""

    agency_code: str
    title: str

    @property
    def name(self) -> str:
        return f"Pejabat penandatangan {self.agency_code}"


@dataclass(frozen=True)
class TeamMemberRef:
    agency_code: str
    name: str
    role: str


@dataclass(frozen=True)
class MouRef:
    title: str
    number: str | None
    signing_at: datetime
    valid_from: date
    valid_until: date | None
    signatories: tuple[SignatoryRef, ...]
    team: tuple[TeamMemberRef, ...]
    working_team_name: str

    @property
    def party_codes(self) -> tuple[str, ...]:
        return tuple(s.agency_code for s in self.signatories)


@dataclass(frozen=True)
class CounterRef:
    agency_code: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class MallRef:
    name: str
    province_code: str
    province_name: str
    regency_code: str
    """Kemendagri code: ``PP.RR`` for a regency or city, ``PP`` for a province-level mall."""
    regency_name: str
    inaugurated_at: datetime
    inaugurated_by: str
    opened_at: datetime | None = None
    """The soft launch, when it is known to differ from the inauguration."""
    address: str | None = None
    counters: tuple[CounterRef, ...] = field(default_factory=tuple)
    note: str | None = None

    @property
    def region(self) -> dict[str, str]:
        """The region as the mall service takes it (it names the province itself)."""
        return {
            "province_code": self.province_code,
            "regency_code": self.regency_code,
            "regency_name": self.regency_name,
        }

    def create_body(self) -> dict[str, Any]:
        """The body of ``POST /malls`` for this mall."""
        return mall_body(self.name, self.region, self.address)


def mall_body(name: str, region: dict[str, str], address: str | None = None) -> dict[str, Any]:
    """The body of ``POST /malls``: a name, a region, and an address when there is one."""
    body: dict[str, Any] = {"name": name, "region": region}
    if address:
        body["address"] = address
    return body


def _s(code: str, name: str) -> ServiceRef:
    return ServiceRef(code, name)


# --- the 17 parties to the MoU of 28 June 2022 ----------------------------------------------

MOU_AGENCIES: tuple[AgencyRef, ...] = (
    AgencyRef(
        "KEMENPANRB",
        "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
        "KemenPANRB",
        "ministry",
        (),  # the programme owner runs no counters
        "Ministry of Administrative and Bureaucratic Reform",
    ),
    AgencyRef(
        "KEMENDAGRI",
        "Kementerian Dalam Negeri",
        "Kemendagri",
        "ministry",
        (
            _s("KTP_EL", "Perekaman dan pencetakan KTP elektronik"),
            _s("KK", "Penerbitan Kartu Keluarga"),
            _s("AKTA_KELAHIRAN", "Penerbitan akta kelahiran"),
            _s("AKTA_KEMATIAN", "Penerbitan akta kematian"),
            _s("KIA", "Penerbitan Kartu Identitas Anak"),
        ),
        "Ministry of Home Affairs",
    ),
    AgencyRef(
        "MA",
        "Mahkamah Agung",
        "MA",
        "agency",
        (
            _s("PENDAFTARAN_PERKARA", "Pendaftaran perkara dan bantuan e-Court"),
            _s("INFO_PERKARA", "Informasi perkara"),
            _s("AKTA_CERAI", "Penerbitan akta cerai"),
        ),
        "Supreme Court",
    ),
    AgencyRef(
        "KEMENKEU",
        "Kementerian Keuangan",
        "Kemenkeu",
        "ministry",
        (
            _s("NPWP", "Pendaftaran NPWP"),
            _s("SPT", "Bantuan pelaporan SPT Tahunan"),
            _s("KONSULTASI_PAJAK", "Konsultasi perpajakan"),
        ),
        "Ministry of Finance",
    ),
    AgencyRef(
        "KEMENKUMHAM",
        "Kementerian Hukum dan HAM",
        "Kemenkumham",
        "ministry",
        (
            _s("PASPOR", "Permohonan paspor"),
            _s("PASPOR_PENGGANTIAN", "Penggantian paspor"),
        ),
        "Ministry of Law and Human Rights",
    ),
    AgencyRef(
        "KEMENAG",
        "Kementerian Agama",
        "Kemenag",
        "ministry",
        (
            _s("PENCATATAN_NIKAH", "Pendaftaran pencatatan nikah"),
            _s("PENDAFTARAN_HAJI", "Pendaftaran haji"),
        ),
        "Ministry of Religious Affairs",
    ),
    AgencyRef(
        "ATRBPN",
        "Kementerian Agraria dan Tata Ruang/Badan Pertanahan Nasional",
        "ATR/BPN",
        "ministry",
        (
            _s("CEK_SERTIPIKAT", "Pengecekan sertipikat tanah"),
            _s("PERALIHAN_HAK", "Peralihan hak atas tanah"),
            _s("ROYA", "Roya (penghapusan hak tanggungan)"),
            _s("INFO_PERTANAHAN", "Informasi pertanahan"),
        ),
        "Ministry of Agrarian Affairs and Spatial Planning / National Land Agency",
    ),
    AgencyRef(
        "KEJAGUNG",
        "Kejaksaan Agung",
        "Kejagung",
        "agency",
        (
            _s("BARANG_BUKTI_TILANG", "Pengambilan barang bukti tilang"),
            _s("KONSULTASI_HUKUM", "Konsultasi hukum"),
        ),
        "Attorney General's Office",
    ),
    AgencyRef(
        "POLRI",
        "Kepolisian Negara Republik Indonesia",
        "Polri",
        "agency",
        (
            _s("SKCK", "Penerbitan Surat Keterangan Catatan Kepolisian (SKCK)"),
            _s("SIM", "Perpanjangan SIM"),
            _s("SAMSAT", "Pembayaran pajak kendaraan bermotor (Samsat)"),
        ),
        "Indonesian National Police",
    ),
    AgencyRef(
        "BNN",
        "Badan Narkotika Nasional",
        "BNN",
        "agency",
        (
            _s("SKHPN", "Surat Keterangan Hasil Pemeriksaan Narkotika (SKHPN)"),
            _s("ASESMEN_REHABILITASI", "Asesmen rehabilitasi"),
        ),
        "National Narcotics Board",
    ),
    AgencyRef(
        "BPOM",
        "Badan Pengawas Obat dan Makanan",
        "BPOM",
        "agency",
        (
            _s("KONSULTASI_REGISTRASI", "Konsultasi registrasi produk"),
            _s("PENGADUAN_KONSUMEN", "Pengaduan konsumen"),
        ),
        "Indonesian Food and Drug Authority",
    ),
    AgencyRef(
        "BP2MI",
        "Badan Pelindungan Pekerja Migran Indonesia",
        "BP2MI",
        "agency",
        (
            _s("INFO_KERJA_LUAR_NEGERI", "Informasi peluang kerja luar negeri"),
            _s("DOKUMEN_PMI", "Layanan dokumen pekerja migran Indonesia"),
            _s("CRISIS_CENTER", "Crisis center pekerja migran"),
        ),
        "Indonesian Migrant Workers Protection Agency",
    ),
    AgencyRef(
        "PERPUSNAS",
        "Perpustakaan Nasional",
        "Perpusnas",
        "agency",
        (
            _s("KEANGGOTAAN", "Pendaftaran anggota perpustakaan"),
            _s("POJOK_BACA", "Pojok baca"),
        ),
        "National Library of Indonesia",
    ),
    AgencyRef(
        "BPJSKES",
        "BPJS Kesehatan",
        "BPJS Kesehatan",
        "public_body",
        (
            _s("PENDAFTARAN_JKN", "Pendaftaran peserta JKN"),
            _s("PERUBAHAN_DATA", "Perubahan data peserta"),
            _s("CETAK_KARTU", "Pencetakan ulang kartu peserta"),
        ),
        "Healthcare Social Security Agency",
    ),
    AgencyRef(
        "BPJSTK",
        "BPJS Ketenagakerjaan",
        "BPJS Ketenagakerjaan",
        "public_body",
        (
            _s("PENDAFTARAN_PESERTA", "Pendaftaran peserta"),
            _s("KLAIM_JHT", "Klaim Jaminan Hari Tua (JHT)"),
        ),
        "Employment Social Security Agency",
    ),
    AgencyRef(
        "TASPEN",
        "PT Taspen (Persero)",
        "Taspen",
        "soe",
        (
            _s("KLAIM_PENSIUN", "Klaim pensiun"),
            _s("KLAIM_THT", "Klaim Tabungan Hari Tua (THT)"),
            _s("OTENTIKASI_PENSIUNAN", "Otentikasi peserta pensiun"),
        ),
        "civil-servant pension insurer",
    ),
    AgencyRef(
        "PLN",
        "PT PLN (Persero)",
        "PLN",
        "soe",
        (
            _s("PASANG_BARU", "Pasang baru listrik"),
            _s("TAMBAH_DAYA", "Tambah daya"),
            _s("PENGADUAN_PELANGGAN", "Pengaduan pelanggan"),
        ),
        "State Electricity Company",
    ),
)

# --- regional bodies that run counters (no MoU needed: kind local_government) -----------------

_DUKCAPIL_SERVICES = (
    _s("KTP_EL", "Perekaman dan pencetakan KTP elektronik"),
    _s("KK", "Penerbitan Kartu Keluarga"),
    _s("AKTA_KELAHIRAN", "Penerbitan akta kelahiran"),
)
_DPMPTSP_SERVICES = (
    _s("NIB", "Pendampingan Nomor Induk Berusaha (OSS)"),
    _s("PBG", "Persetujuan Bangunan Gedung"),
)


def _dukcapil(suffix: str, region: str) -> AgencyRef:
    return AgencyRef(
        f"DISDUKCAPIL_{suffix}",
        f"Dinas Kependudukan dan Pencatatan Sipil {region}",
        f"Disdukcapil {region.removeprefix('Kabupaten ').removeprefix('Kota ')}",
        "local_government",
        _DUKCAPIL_SERVICES,
    )


def _dpmptsp(suffix: str, region: str) -> AgencyRef:
    return AgencyRef(
        f"DPMPTSP_{suffix}",
        f"Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu {region}",
        f"DPMPTSP {region.removeprefix('Kabupaten ').removeprefix('Kota ')}",
        "local_government",
        _DPMPTSP_SERVICES,
    )


LOCAL_AGENCIES: tuple[AgencyRef, ...] = (
    _dpmptsp("DKI", "Provinsi DKI Jakarta"),
    _dukcapil("BATANG", "Kabupaten Batang"),
    _dpmptsp("BATANG", "Kabupaten Batang"),
    _dukcapil("PANDEGLANG", "Kabupaten Pandeglang"),
    _dukcapil("MADIUN", "Kabupaten Madiun"),
    _dukcapil("MOJOKERTO_KOTA", "Kota Mojokerto"),
    _dpmptsp("MOJOKERTO_KOTA", "Kota Mojokerto"),
    _dukcapil("SANGGAU", "Kabupaten Sanggau"),
    _dpmptsp("SANGGAU", "Kabupaten Sanggau"),
    _dukcapil("HSS", "Kabupaten Hulu Sungai Selatan"),
    _dpmptsp("HSS", "Kabupaten Hulu Sungai Selatan"),
)

AGENCIES: tuple[AgencyRef, ...] = MOU_AGENCIES + LOCAL_AGENCIES
"""Everything ``mppctl seed`` registers, parties first."""

# --- the MoU of 28 June 2022 ------------------------------------------------------------------

MOU_2022 = MouRef(
    title="Nota Kesepahaman tentang Penyelenggaraan Pelayanan Publik pada Mal Pelayanan Publik",
    number=None,  # not in the reference facts
    signing_at=datetime(2022, 6, 28, 10, 0, tzinfo=WIB),
    valid_from=date(2022, 6, 28),
    valid_until=None,  # the term is not in the reference facts
    signatories=(
        SignatoryRef("KEMENPANRB", "Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi"),
        SignatoryRef("KEMENDAGRI", "Menteri Dalam Negeri"),
        SignatoryRef("MA", "Ketua Mahkamah Agung"),
        SignatoryRef("KEMENKEU", "Menteri Keuangan"),
        SignatoryRef("KEMENKUMHAM", "Menteri Hukum dan Hak Asasi Manusia"),
        SignatoryRef("KEMENAG", "Menteri Agama"),
        SignatoryRef("ATRBPN", "Menteri Agraria dan Tata Ruang/Kepala Badan Pertanahan Nasional"),
        SignatoryRef("KEJAGUNG", "Jaksa Agung"),
        SignatoryRef("POLRI", "Kepala Kepolisian Negara Republik Indonesia"),
        SignatoryRef("BNN", "Kepala Badan Narkotika Nasional"),
        SignatoryRef("BPOM", "Kepala Badan Pengawas Obat dan Makanan"),
        SignatoryRef("BP2MI", "Kepala Badan Pelindungan Pekerja Migran Indonesia"),
        SignatoryRef("PERPUSNAS", "Kepala Perpustakaan Nasional"),
        SignatoryRef("BPJSKES", "Direktur Utama BPJS Kesehatan"),
        SignatoryRef("BPJSTK", "Direktur Utama BPJS Ketenagakerjaan"),
        SignatoryRef("TASPEN", "Direktur Utama PT Taspen (Persero)"),
        SignatoryRef("PLN", "Direktur Utama PT PLN (Persero)"),
    ),
    working_team_name="Tim Kerja Percepatan Pembentukan Mal Pelayanan Publik",
    team=(
        TeamMemberRef("KEMENPANRB", "Deputi Bidang Pelayanan Publik, Kementerian PANRB", "Ketua"),
        TeamMemberRef(
            "KEMENPANRB",
            "Asisten Deputi pada Kedeputian Bidang Pelayanan Publik, Kementerian PANRB",
            "Sekretaris",
        ),
        TeamMemberRef(
            "KEMENDAGRI", "Direktur Jenderal Kependudukan dan Pencatatan Sipil", "Anggota"
        ),
        TeamMemberRef("KEMENKUMHAM", "Direktur Jenderal Imigrasi", "Anggota"),
        TeamMemberRef("KEMENKEU", "Direktur Jenderal Pajak", "Anggota"),
        TeamMemberRef("POLRI", "Kepala Korps Lalu Lintas Polri", "Anggota"),
    ),
)

# --- the malls ----------------------------------------------------------------------------------

INAUGURATED_BY = "Menteri PANRB"


def _c(agency_code: str, *services: str) -> CounterRef:
    return CounterRef(agency_code, services)


PROVINCES = {
    "31": "Daerah Khusus Ibukota Jakarta",
    "33": "Jawa Tengah",
    "36": "Banten",
    "35": "Jawa Timur",
    "61": "Kalimantan Barat",
    "63": "Kalimantan Selatan",
}
"""Kemendagri province codes and names, for the provinces of the malls below."""


def _mall(
    name: str,
    regency_code: str,
    regency_name: str,
    inaugurated_at: datetime,
    counters: tuple[CounterRef, ...],
    *,
    opened_at: datetime | None = None,
    address: str | None = None,
    note: str | None = None,
) -> MallRef:
    """A mall in a regency (or a province, by its code alone), inaugurated by the minister."""
    province_code = regency_code.split(".")[0]
    return MallRef(
        name=name,
        province_code=province_code,
        province_name=PROVINCES[province_code],
        regency_code=regency_code,
        regency_name=regency_name,
        inaugurated_at=inaugurated_at,
        inaugurated_by=INAUGURATED_BY,
        opened_at=opened_at,
        address=address,
        counters=counters,
        note=note,
    )


MALLS: tuple[MallRef, ...] = (
    _mall(
        "MPP DKI Jakarta",
        "31",
        "Daerah Khusus Ibukota Jakarta",
        datetime(2017, 10, 12, 10, 0, tzinfo=WIB),
        (
            _c("DPMPTSP_DKI", "NIB", "PBG"),
            _c("KEMENKUMHAM", "PASPOR"),
            _c("POLRI", "SKCK", "SIM"),
            _c("BPJSKES", "PENDAFTARAN_JKN", "PERUBAHAN_DATA"),
            _c("KEMENKEU", "NPWP", "KONSULTASI_PAJAK"),
        ),
        note="province-level mall",
    ),
    _mall(
        "MPP Kabupaten Batang",
        "33.25",
        "Kabupaten Batang",
        datetime(2020, 1, 23, 10, 0, tzinfo=WIB),
        (
            _c("DISDUKCAPIL_BATANG", "KTP_EL", "KK", "AKTA_KELAHIRAN"),
            _c("DPMPTSP_BATANG", "NIB", "PBG"),
            _c("POLRI", "SKCK"),
            _c("BPJSTK", "PENDAFTARAN_PESERTA", "KLAIM_JHT"),
        ),
    ),
    _mall(
        "MPP Kabupaten Pandeglang",
        "36.01",
        "Kabupaten Pandeglang",
        datetime(2020, 8, 31, 10, 0, tzinfo=WIB),
        (
            _c("DISDUKCAPIL_PANDEGLANG", "KTP_EL", "KK"),
            _c("KEMENAG", "PENCATATAN_NIKAH", "PENDAFTARAN_HAJI"),
            _c("BPJSKES", "PENDAFTARAN_JKN"),
        ),
    ),
    _mall(
        "MPP Kabupaten Madiun",
        "35.19",
        "Kabupaten Madiun",
        datetime(2021, 11, 24, 10, 0, tzinfo=WIB),
        (
            _c("DISDUKCAPIL_MADIUN", "KTP_EL", "KK", "AKTA_KELAHIRAN"),
            _c("ATRBPN", "CEK_SERTIPIKAT", "INFO_PERTANAHAN"),
            _c("TASPEN", "KLAIM_PENSIUN", "OTENTIKASI_PENSIUNAN"),
        ),
    ),
    _mall(
        "MPP Gajah Mada, Kota Mojokerto",
        "35.76",
        "Kota Mojokerto",
        datetime(2022, 3, 22, 10, 0, tzinfo=WIB),
        (
            _c("DISDUKCAPIL_MOJOKERTO_KOTA", "KTP_EL", "KK", "AKTA_KELAHIRAN"),
            _c("DPMPTSP_MOJOKERTO_KOTA", "NIB", "PBG"),
            _c("POLRI", "SKCK", "SAMSAT"),
            _c("PLN", "PASANG_BARU", "TAMBAH_DAYA"),
        ),
    ),
    _mall(
        "MPP Kabupaten Sanggau",
        "61.03",
        "Kabupaten Sanggau",
        datetime(2022, 5, 24, 10, 0, tzinfo=WIB),
        (
            _c("DISDUKCAPIL_SANGGAU", "KTP_EL", "KK", "AKTA_KELAHIRAN"),
            _c("DPMPTSP_SANGGAU", "NIB", "PBG"),
            _c("KEMENKUMHAM", "PASPOR"),
            _c("POLRI", "SKCK", "SIM"),
            _c("BPJSKES", "PENDAFTARAN_JKN", "PERUBAHAN_DATA"),
            _c("ATRBPN", "CEK_SERTIPIKAT"),
        ),
        opened_at=datetime(2020, 12, 10, 9, 0, tzinfo=WIB),
        note="operating since 2020-12-10; 254 services from 21 agencies; the 57th MPP",
    ),
    _mall(
        "MPP Kabupaten Hulu Sungai Selatan",
        "63.06",
        "Kabupaten Hulu Sungai Selatan",
        datetime(2022, 5, 31, 10, 0, tzinfo=WITA),
        (
            _c("DISDUKCAPIL_HSS", "KTP_EL", "KK", "AKTA_KELAHIRAN"),
            _c("DPMPTSP_HSS", "NIB", "PBG"),
            _c("KEMENAG", "PENCATATAN_NIKAH"),
            _c("BPJSTK", "PENDAFTARAN_PESERTA", "KLAIM_JHT"),
            _c("KEMENKEU", "NPWP"),
        ),
        address="Pasar Los Batu, Kandangan",
    ),
)


def agency_by_code(code: str) -> AgencyRef:
    """The reference agency with ``code``; KeyError if the seed has none."""
    for agency in AGENCIES:
        if agency.code == code:
            return agency
    raise KeyError(code)
