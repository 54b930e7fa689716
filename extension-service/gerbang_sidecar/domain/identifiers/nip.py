"""NIP (Nomor Induk Pegawai), a civil servant's number checked against BKN (B1, B3).

Eighteen digits: birth date ``yyyymmdd``, appointment ``yyyymm``, sex (1 male, 2 female) and a
three-digit serial. What it encodes must agree with the holder's NIK, which we check before
asking BKN so a typo gets an immediate, precise message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gerbang_sidecar.domain.identifiers._digits import parse_digits
from gerbang_sidecar.domain.identifiers._text import Field
from gerbang_sidecar.domain.identifiers.errors import IdentifierError
from gerbang_sidecar.domain.identifiers.nik import Nik
from gerbang_sidecar.domain.identifiers.sex import Sex
from gerbang_sidecar.domain.masking import mask

FIELD = Field("nip")
NIP_LENGTH = 18
_EARLIEST_BIRTH_YEAR = 1900
_SEX_DIGITS = {"1": Sex.MALE, "2": Sex.FEMALE}


@dataclass(frozen=True, slots=True, repr=False)
class Nip:
    value: str
    birth_date: dt.date
    appointment_year: int
    appointment_month: int
    sex: Sex
    serial: str

    def __repr__(self) -> str:
        return f"Nip({mask(self.value)})"

    __str__ = __repr__


def parse_nip(raw: str | None, *, today: dt.date | None = None) -> Nip:
    """Validate the NIP's shape and the dates it encodes; ``today`` makes tests clock-free."""
    digits = parse_digits(raw, FIELD, NIP_LENGTH)
    today = today or dt.date.today()

    try:
        birth_date = dt.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        birth_date = None
    if birth_date is None or birth_date.year < _EARLIEST_BIRTH_YEAR or birth_date > today:
        raise FIELD.error("birth_date")

    year, month = int(digits[8:12]), int(digits[12:14])
    appointed = (year, month)
    if not (
        1 <= month <= 12
        and (birth_date.year, birth_date.month) < appointed <= (today.year, today.month)
    ):
        raise FIELD.error("appointment_date")

    sex = _SEX_DIGITS.get(digits[14])
    if sex is None:
        raise FIELD.error("sex")
    return Nip(
        value=digits,
        birth_date=birth_date,
        appointment_year=year,
        appointment_month=month,
        sex=sex,
        serial=digits[15:],
    )


def check_nip_matches_nik(nip: Nip, nik: Nik) -> IdentifierError | None:
    """B3: a NIP belongs to the person whose NIK shows the same birth date and sex.

    Returns the error rather than raising, so the form can show it beside the NIP field along
    with any other errors. The NIK's century is inferred, so its year is compared modulo 100.
    """
    nik_date = nik.birth_date
    if (nip.birth_date.day, nip.birth_date.month, nip.birth_date.year % 100) != (
        nik_date.day,
        nik_date.month,
        nik_date.year % 100,
    ):
        return FIELD.error("nik_birth_date_mismatch")
    if nip.sex is not nik.sex:
        return FIELD.error("nik_sex_mismatch")
    return None
