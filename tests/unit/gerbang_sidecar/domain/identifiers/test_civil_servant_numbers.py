"""B3: NIP (civil servants) and NRP (police), and NIP agreement with the NIK."""

import datetime as dt

import pytest

from gerbang_sidecar.domain.identifiers import (
    IdentifierError,
    Sex,
    check_nip_matches_nik,
    parse_nik,
    parse_nip,
    parse_nrp,
)
from gerbang_sidecar.texts import message

TODAY = dt.date(2025, 6, 1)


def test_b3_nip_decodes_birth_appointment_sex_serial() -> None:
    nip = parse_nip("19850315 201001 1 002", today=TODAY)
    assert nip.value == "198503152010011002"
    assert nip.birth_date == dt.date(1985, 3, 15)
    assert (nip.appointment_year, nip.appointment_month) == (2010, 1)
    assert nip.sex is Sex.MALE
    assert nip.serial == "002"
    assert parse_nip("199001012015032001", today=TODAY).sex is Sex.FEMALE


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "nip.required"),
        ("19850315201001100", "nip.length"),
        ("19850315201001100A", "nip.format"),
        ("198502302010011002", "nip.birth_date"),  # 30 February
        ("189903152010011002", "nip.birth_date"),  # before 1900
        ("203003152010011002", "nip.birth_date"),  # in the future
        ("198503152010131002", "nip.appointment_date"),  # month 13
        ("198503151980011002", "nip.appointment_date"),  # before birth
        ("198503152030011002", "nip.appointment_date"),  # in the future
        ("198503152010013002", "nip.sex"),
    ],
)
def test_b3_nip_rejections(raw: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_nip(raw, today=TODAY)
    assert caught.value.code == code


def test_b3_nip_must_agree_with_nik() -> None:
    nip = parse_nip("194508172010011002", today=TODAY)
    assert check_nip_matches_nik(nip, parse_nik("3171011708450001", today=TODAY)) is None

    other_day = check_nip_matches_nik(nip, parse_nik("3171011808450001", today=TODAY))
    assert other_day is not None
    assert other_day.code == "nip.nik_birth_date_mismatch"

    woman = check_nip_matches_nik(nip, parse_nik("3171015708450001", today=TODAY))
    assert woman is not None
    assert woman.code == "nip.nik_sex_mismatch"
    assert message(woman) == "Jenis kelamin pada NIP tidak sesuai dengan NIK."


def test_b3_nrp_is_8_digits() -> None:
    assert parse_nrp("8505 0123").value == "85050123"


@pytest.mark.parametrize(
    ("raw", "code"),
    [("", "nrp.required"), ("1234567", "nrp.length"), ("1234567X", "nrp.format")],
)
def test_b3_nrp_rejections(raw: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_nrp(raw)
    assert caught.value.code == code
