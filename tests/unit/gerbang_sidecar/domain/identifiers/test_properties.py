"""Property-based tests: no input crashes a rule (X5), valid identifiers round-trip.

How many examples each test draws comes from the Hypothesis profile (tests/conftest.py):
the default in ``make test``, many more under ``make fuzz``.
"""

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import numdb

from gerbang_sidecar.domain.identifiers import (
    DateField,
    IdentifierError,
    Sex,
    check_nip_matches_nik,
    parse_birth_date,
    parse_date_dmy,
    parse_email,
    parse_jabatan,
    parse_mobile_number,
    parse_nib,
    parse_nik,
    parse_nip,
    parse_npwp,
    parse_nrp,
    parse_organisation_name,
    parse_passport,
    parse_person_name,
    parse_provinsi,
    parse_sid,
    parse_unit_organisasi,
)
from gerbang_sidecar.texts import message

TODAY = dt.date(2025, 6, 1)


def scaled(factor: int) -> int:
    """A round-trip test draws ``factor`` times the profile's examples: it is cheap per
    example and covers a space (dates, regions, serials) that small samples miss."""
    return factor * settings.default.max_examples

PARSERS: dict[str, Callable[[Any], object]] = {
    "nik": partial(parse_nik, today=TODAY),
    "npwp": parse_npwp,
    "nib": parse_nib,
    "sid": parse_sid,
    "passport_id": parse_passport,
    "passport_foreign": partial(parse_passport, issuing_country="JP"),
    "nip": partial(parse_nip, today=TODAY),
    "nrp": parse_nrp,
    "phone": parse_mobile_number,
    "phone_foreign": partial(parse_mobile_number, dial_code="+1", allow_foreign=True),
    "person_name": parse_person_name,
    "organisation_name": parse_organisation_name,
    "unit_organisasi": parse_unit_organisasi,
    "jabatan": parse_jabatan,
    "provinsi": parse_provinsi,
    "email": parse_email,
    "date": parse_date_dmy,
    "passport_expiry": partial(parse_date_dmy, field=DateField.PASSPORT_EXPIRY_DATE),
    "birth_date": partial(parse_birth_date, today=TODAY),
}

# Characters the rules care about, so generated text also reaches the deeper checks.
_RELEVANT = "0123456789０１٣ -./+()'’,&@_ADFIXZabdhrsz\u00e9\u0131\u0456\n\t"
ANY_INPUT = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet=_RELEVANT, max_size=30),
    st.from_regex(r"\+?[0-9 ]{0,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z]{2}[DF][0-9A-Z]{12}", fullmatch=True),
    st.emails(),
)


def _assert_only_identifier_errors(parse: Callable[[Any], object], raw: object) -> None:
    try:
        parse(raw)
    except IdentifierError as error:
        texts = [message(error, "id"), message(error, "en")]
        # A sentence from the catalog in each language, never the bare key (C5).
        assert error.code and all(text and not text.startswith("error.") for text in texts)
        # Only identifier-like input (with a digit) counts: a plain word such as "digits"
        # may legitimately appear in the message text itself.
        if isinstance(raw, str) and len(raw.strip()) >= 6 and any(c.isdigit() for c in raw):
            assert raw.strip() not in "".join(texts) + repr(error.params)  # X3


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(raw=ANY_INPUT)
def test_x5_validators_raise_only_identifier_error(name: str, raw: object) -> None:
    _assert_only_identifier_errors(PARSERS[name], raw)


def _stdnum_provinces() -> list[str]:
    table = numdb.get("id/loc")
    return [f"{code:02d}" for code in range(11, 100) if table.info(f"{code:02d}")[0][1]]


PROVINCES = [*_stdnum_provinces(), "65", "92", "93", "95", "96"]
# The NIK's two-digit year is read as the latest century not after TODAY.
NIK_BIRTH_DATES = st.dates(
    min_value=TODAY.replace(year=TODAY.year - 100) + dt.timedelta(days=1), max_value=TODAY
)
TWO_DIGITS_NOT_ZERO = st.integers(1, 99).map(lambda n: f"{n:02d}")


@st.composite
def niks(draw: st.DrawFn) -> tuple[str, dt.date, Sex, str]:
    region = (
        draw(st.sampled_from(PROVINCES)) + draw(TWO_DIGITS_NOT_ZERO) + draw(TWO_DIGITS_NOT_ZERO)
    )
    birth_date = draw(NIK_BIRTH_DATES)
    sex = draw(st.sampled_from(Sex))
    day = birth_date.day + (40 if sex is Sex.FEMALE else 0)
    serial = draw(st.integers(0, 9999))
    value = f"{region}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"
    return value, birth_date, sex, region


@settings(max_examples=scaled(5))
@given(niks())
def test_a2_valid_generated_niks_round_trip(generated: tuple[str, dt.date, Sex, str]) -> None:
    value, birth_date, sex, region = generated
    nik = parse_nik(value, today=TODAY)
    assert (nik.value, nik.birth_date, nik.sex, nik.region_code) == (
        value,
        birth_date,
        sex,
        region,
    )
    spaced = f" {value[:4]} {value[4:8]}-{value[8:12]}.{value[12:]} "
    assert parse_nik(spaced, today=TODAY) == nik


@settings(max_examples=scaled(3))
@given(
    birth_date=st.dates(min_value=dt.date(1926, 1, 1), max_value=dt.date(2004, 12, 31)),
    years_later=st.integers(18, 20),
    month=st.integers(1, 12),
    sex=st.sampled_from(Sex),
    serial=st.integers(0, 999),
)
def test_b3_generated_nip_round_trips_and_agrees_with_matching_nik(
    birth_date: dt.date, years_later: int, month: int, sex: Sex, serial: int
) -> None:
    sex_digit = "1" if sex is Sex.MALE else "2"
    appointed = f"{birth_date.year + years_later}{month:02d}"
    value = f"{birth_date:%Y%m%d}{appointed}{sex_digit}{serial:03d}"
    nip = parse_nip(value, today=TODAY)
    assert (nip.value, nip.birth_date, nip.sex) == (value, birth_date, sex)

    nik_day = birth_date.day + (40 if sex is Sex.FEMALE else 0)
    nik = parse_nik(f"317101{nik_day:02d}{birth_date:%m%y}0001", today=TODAY)
    assert check_nip_matches_nik(nip, nik) is None


@given(national=st.from_regex(r"8[1-3][0-9]{8,9}", fullmatch=True))
def test_o2_indonesian_mobile_forms_agree(national: str) -> None:
    forms = [national, "0" + national, "+62" + national, "+62 " + national]
    results = set()
    for form in forms:
        try:
            results.add(parse_mobile_number(form).e164)
        except IdentifierError as error:
            results.add(error.code)
    assert len(results) == 1
