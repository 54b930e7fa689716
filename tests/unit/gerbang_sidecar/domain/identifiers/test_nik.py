"""NIK rules used by A2, B2, O2 and I1."""

import datetime as dt

import pytest

from gerbang_sidecar.domain.identifiers import (
    IdentifierError,
    Sex,
    check_birth_date_matches_nik,
    parse_nik,
)
from gerbang_sidecar.texts import message

TODAY = dt.date(2025, 6, 1)


def test_a2_nik_valid_male_derives_birth_date_sex_and_region() -> None:
    nik = parse_nik("3171011708450001", today=TODAY)
    assert nik.value == "3171011708450001"
    assert nik.birth_date == dt.date(1945, 8, 17)
    assert nik.sex is Sex.MALE
    assert nik.region_code == "317101"
    assert nik.province_code == "31"


def test_a2_nik_women_have_forty_added_to_the_day() -> None:
    nik = parse_nik("3171015708450001", today=TODAY)
    assert nik.birth_date == dt.date(1945, 8, 17)
    assert nik.sex is Sex.FEMALE


def test_a2_nik_birth_year_takes_latest_century_not_in_future() -> None:
    assert parse_nik("3171011708050001", today=TODAY).birth_date == dt.date(2005, 8, 17)
    assert parse_nik("3171010106250001", today=TODAY).birth_date == dt.date(2025, 6, 1)
    assert parse_nik("3171010206250001", today=TODAY).birth_date == dt.date(1925, 6, 2)


def test_a2_nik_accepts_separators_and_full_width_digits() -> None:
    assert parse_nik(" 3171-0117-0845-0001 ", today=TODAY).value == "3171011708450001"
    full_width = "３１７１０１１７０８４５０００１"
    assert parse_nik(full_width, today=TODAY).value == "3171011708450001"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (None, "nik.required"),
        ("   ", "nik.required"),
        ("317101170845000", "nik.length"),
        ("31710117084500011", "nik.length"),
        ("317101170845000A", "nik.format"),
        ("٣١٧١٠١١٧٠٨٤٥٠٠٠١", "nik.format"),  # Arabic-Indic digits are not NIK digits
        ("9971011708450001", "nik.region"),
        ("3100011708450001", "nik.region"),
        ("3171001708450001", "nik.region"),
        ("3171013002001234", "nik.birth_date"),  # 30 February
        ("3171010013450001", "nik.birth_date"),  # month 13
        ("3171010008450001", "nik.birth_date"),  # day 0
        ("3171018108450001", "nik.birth_date"),  # day 81 is neither man nor woman
    ],
)
def test_a2_nik_rejections_have_precise_codes(raw: str | None, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_nik(raw, today=TODAY)
    assert caught.value.code == code


@pytest.mark.parametrize("province", ["65", "92", "93", "95", "96"])
def test_a2_nik_accepts_provinces_missing_from_stdnum(province: str) -> None:
    nik = parse_nik(f"{province}71011708450001", today=TODAY)
    assert nik.province_code == province


def test_x3_nik_repr_hides_the_number() -> None:
    nik = parse_nik("3171011708450001", today=TODAY)
    assert "317101170845" not in repr(nik)
    assert "317101170845" not in str(nik)


def test_o2_birth_date_must_match_nik() -> None:
    nik = parse_nik("3171015708450001", today=TODAY)
    assert check_birth_date_matches_nik(dt.date(1945, 8, 17), nik) is None
    error = check_birth_date_matches_nik(dt.date(1945, 8, 18), nik)
    assert error is not None
    assert error.code == "birth_date.nik_mismatch"
    assert message(error, "en") == "The date of birth does not match the NIK."
