"""Dates typed as dd-mm-yyyy, the format of the Indonesian forms (O2, O3)."""

from __future__ import annotations

import datetime as dt
import re
from enum import Enum

from gerbang_sidecar.domain.identifiers._text import Field, prepare
from gerbang_sidecar.domain.identifiers.errors import IdentifierError

EARLIEST_BIRTH_YEAR = 1900
# "/" and "." are what people type when they ignore the placeholder; the meaning is the same.
_DMY_RE = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})")


class DateField(Enum):
    """The date fields of the forms, so each error names the field it belongs to."""

    DATE = Field("date", "Tanggal", "Date")
    BIRTH_DATE = Field("birth_date", "Tanggal Lahir", "Date of birth")
    PASSPORT_ISSUE_DATE = Field("passport_issue_date", "Tanggal Pengeluaran", "Date of issue")
    PASSPORT_EXPIRY_DATE = Field(
        "passport_expiry_date", "Tanggal Expired Paspor", "Passport expiry date"
    )


def parse_date_dmy(raw: str | None, *, field: DateField = DateField.DATE) -> dt.date:
    """Read dd-mm-yyyy into a date, with an error naming ``field`` when it cannot."""
    spec = field.value
    match = _DMY_RE.fullmatch(prepare(raw, spec, 10).replace(" ", ""))
    if not match:
        raise spec.error(
            "format",
            f"{spec.label_id} harus berformat dd-mm-yyyy, mis. 17-08-1990.",
            f"{spec.label_en} must be in the format dd-mm-yyyy, e.g. 17-08-1990.",
        )
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise spec.error(
            "invalid",
            f"{spec.label_id} tidak ada di kalender.",
            f"{spec.label_en} is not a real calendar date.",
        ) from None


def parse_birth_date(raw: str | None, *, today: dt.date | None = None) -> dt.date:
    """A birth date as typed (O2, O3): a real date, not in the future, not before 1900."""
    birth_date = parse_date_dmy(raw, field=DateField.BIRTH_DATE)
    if birth_date > (today or dt.date.today()):
        raise IdentifierError(
            "birth_date.future",
            "Tanggal Lahir tidak boleh di masa depan.",
            "The date of birth cannot be in the future.",
        )
    if birth_date.year < EARLIEST_BIRTH_YEAR:
        raise IdentifierError(
            "birth_date.too_old",
            f"Tanggal Lahir tidak boleh sebelum tahun {EARLIEST_BIRTH_YEAR}.",
            f"The date of birth cannot be before {EARLIEST_BIRTH_YEAR}.",
        )
    return birth_date
