"""Passport numbers: foreign investors (A3), OSS passport registration (O3), A7 look-ups."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gerbang_sidecar.domain.identifiers._text import Field, prepare, strip_separators
from gerbang_sidecar.domain.identifiers.errors import IdentifierError
from gerbang_sidecar.domain.masking import mask

FIELD = Field("passport")
INDONESIA = "ID"
_MAX_LENGTH = 9
_INDONESIAN_RE = re.compile(r"[A-Z]{1,2}[0-9]{6,7}")
_FOREIGN_RE = re.compile(r"[A-Z0-9]{6,9}")
_COUNTRY_RE = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True, repr=False)
class Passport:
    """A passport number is only unique together with its issuing country."""

    number: str
    issuing_country: str  # ISO 3166-1 alpha-2

    @property
    def is_indonesian(self) -> bool:
        return self.issuing_country == INDONESIA

    def __repr__(self) -> str:
        return f"Passport({self.issuing_country}, {mask(self.number)})"

    __str__ = __repr__


def parse_passport(raw: str | None, *, issuing_country: str = INDONESIA) -> Passport:
    """Indonesian passports have 1-2 letters and 6-7 digits; others 6-9 letters or digits."""
    country = (issuing_country or "").strip().upper()
    if not _COUNTRY_RE.fullmatch(country):
        raise IdentifierError("passport_country.invalid")
    compact = strip_separators(prepare(raw, FIELD, _MAX_LENGTH))
    number = compact.upper() if compact.isascii() else compact
    if country == INDONESIA:
        if not _INDONESIAN_RE.fullmatch(number):
            raise FIELD.error("format", key="passport.format_indonesian")
    elif not _FOREIGN_RE.fullmatch(number):
        raise FIELD.error("format")
    return Passport(number=number, issuing_country=country)
