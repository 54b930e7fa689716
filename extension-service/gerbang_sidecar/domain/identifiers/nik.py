"""NIK (Nomor Induk Kependudukan), the key to Dukcapil for local individuals (A2, B2, O2, I1).

python-stdnum checks format, length, birth date and province; this module maps its exceptions
to our error codes and fixes what it leaves open: which century the two-digit year belongs to,
day values above 71 that its ``% 40`` arithmetic lets through, regency or district ``00``, and
provinces missing from its table (see ``_PROVINCES_MISSING_FROM_STDNUM``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stdnum.exceptions import InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.id import nik as stdnum_nik

from gerbang_sidecar.domain.identifiers._text import Field, prepare, strip_separators
from gerbang_sidecar.domain.identifiers.errors import IdentifierError
from gerbang_sidecar.domain.identifiers.sex import Sex
from gerbang_sidecar.domain.masking import mask

FIELD = Field("nik")
NIK_LENGTH = 16
_FEMALE_DAY_OFFSET = 40
# python-stdnum 2.2's id/loc table lacks Kalimantan Utara (65, since 2012) and the Papua codes
# beyond 91 and 94 (Papua Barat 92 in Kemendagri numbering, and the provinces formed in 2022).
# Refusing them would lock residents out; drop entries once stdnum's table has them.
_PROVINCES_MISSING_FROM_STDNUM = frozenset({"65", "92", "93", "95", "96"})


@dataclass(frozen=True, slots=True, repr=False)
class Nik:
    """A valid NIK with what it encodes, so callers never re-parse the digits."""

    value: str
    birth_date: dt.date
    sex: Sex
    region_code: str  # PPRRSS: province, regency/city, district at the time of issue

    @property
    def province_code(self) -> str:
        return self.region_code[:2]

    def __repr__(self) -> str:
        return f"Nik({mask(self.value)})"

    __str__ = __repr__


def parse_nik(raw: str | None, *, today: dt.date | None = None) -> Nik:
    """Validate a NIK and derive birth date, sex and region.

    ``today`` decides the century of the two-digit birth year (the latest one not in the
    future); pass it in tests so results do not depend on the clock.
    """
    digits = strip_separators(prepare(raw, FIELD, NIK_LENGTH))
    try:
        stdnum_nik.validate(digits)
    except InvalidLength:
        raise _length_error() from None
    except InvalidFormat:
        raise FIELD.error("format") from None
    except InvalidComponent:
        _raise_birth_date_error_if_bad(digits)
        if digits[:2] not in _PROVINCES_MISSING_FROM_STDNUM:
            raise _region_error() from None
    except ValidationError:
        raise FIELD.error("invalid") from None

    if digits[2:4] == "00" or digits[4:6] == "00":
        raise _region_error()
    raw_day = int(digits[6:8])
    if not (1 <= raw_day <= 31 or _FEMALE_DAY_OFFSET + 1 <= raw_day <= _FEMALE_DAY_OFFSET + 31):
        raise _birth_date_error()
    sex = Sex.FEMALE if raw_day > _FEMALE_DAY_OFFSET else Sex.MALE
    birth_date = _birth_date_in_right_century(digits, today or dt.date.today())
    return Nik(value=digits, birth_date=birth_date, sex=sex, region_code=digits[:6])


def _birth_date_in_right_century(digits: str, today: dt.date) -> dt.date:
    """stdnum prefers 19xx, which would make everyone born since 2000 a century old."""
    stdnum_guess = stdnum_nik.get_birth_date(digits)
    try:
        recent = stdnum_guess.replace(year=2000 + stdnum_guess.year % 100)
    except ValueError:  # 29 February of a year that is not leap in the 2000s
        return stdnum_guess
    return recent if recent <= today else recent.replace(year=recent.year - 100)


def _raise_birth_date_error_if_bad(digits: str) -> None:
    try:
        stdnum_nik.get_birth_date(digits)
    except ValidationError:
        raise _birth_date_error() from None


def _region_error() -> IdentifierError:
    return FIELD.error("region")


def _length_error() -> IdentifierError:
    return FIELD.error("length")


def _birth_date_error() -> IdentifierError:
    return FIELD.error("birth_date")


def check_birth_date_matches_nik(birth_date: dt.date, nik: Nik) -> IdentifierError | None:
    """O2: the Tanggal Lahir typed must agree with the one the NIK encodes.

    Only day, month and two-digit year are compared, because the NIK's century is inferred.
    Returns the error (for the date field) instead of raising, so a form can collect it with
    the others.
    """
    if (birth_date.day, birth_date.month, birth_date.year % 100) == (
        nik.birth_date.day,
        nik.birth_date.month,
        nik.birth_date.year % 100,
    ):
        return None
    return IdentifierError("birth_date.nik_mismatch")
