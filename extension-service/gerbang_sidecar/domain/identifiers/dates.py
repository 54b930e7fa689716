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

    DATE = Field("date")
    BIRTH_DATE = Field("birth_date")
    PASSPORT_ISSUE_DATE = Field("passport_issue_date")
    PASSPORT_EXPIRY_DATE = Field("passport_expiry_date")


def parse_date_dmy(raw: str | None, *, field: DateField = DateField.DATE) -> dt.date:
    """Read dd-mm-yyyy into a date, with an error naming ``field`` when it cannot."""
    spec = field.value
    match = _DMY_RE.fullmatch(prepare(raw, spec, 10).replace(" ", ""))
    if not match:
        raise spec.error("format", key="field.date_format")
    day, month, year = (int(part) for part in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise spec.error("invalid", key="field.not_a_date") from None


def parse_birth_date(raw: str | None, *, today: dt.date | None = None) -> dt.date:
    """A birth date as typed (O2, O3): a real date, not in the future, not before 1900."""
    birth_date = parse_date_dmy(raw, field=DateField.BIRTH_DATE)
    if birth_date > (today or dt.date.today()):
        raise IdentifierError("birth_date.future")
    if birth_date.year < EARLIEST_BIRTH_YEAR:
        raise IdentifierError("birth_date.too_old", year=EARLIEST_BIRTH_YEAR)
    return birth_date
