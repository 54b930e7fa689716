"""Company and institution names (A4 "as registered at the broker", I1 business name).

Legal names carry punctuation a person's name may not: "PT Bank Rakyat Indonesia (Persero)
Tbk.", "CV. Maju & Jaya", "Koperasi Karyawan 17/08".
"""

from __future__ import annotations

from dataclasses import dataclass

from gerbang_sidecar.domain.identifiers._text import (
    Field,
    collapse_spaces,
    is_latin_letter,
    normalise_apostrophes,
    prepare,
    too_long,
)

FIELD = Field("organisation_name")
MIN_LENGTH = 2
MAX_LENGTH = 200
_PUNCTUATION = " .,&'()-/"


@dataclass(frozen=True, slots=True)
class OrganisationName:
    value: str


def parse_organisation_name(raw: str | None) -> OrganisationName:
    """Collapse spaces and keep the name as written; registries compare it case-insensitively."""
    text = collapse_spaces(normalise_apostrophes(prepare(raw, FIELD, MAX_LENGTH)))
    if len(text) > MAX_LENGTH:
        raise too_long(FIELD, MAX_LENGTH)
    if not all(ch in _PUNCTUATION or "0" <= ch <= "9" or is_latin_letter(ch) for ch in text):
        raise FIELD.error("chars")
    if len(text) < MIN_LENGTH or not any(is_latin_letter(ch) for ch in text):
        raise FIELD.error("too_short", min=MIN_LENGTH)
    return OrganisationName(value=text)
