"""B3 "Lainnya" fields: Unit Organisasi, Jabatan, Provinsi — letters, digits and spaces only.

They end up in certificate requests and verifier screens, where stray punctuation is noise.
"""

from __future__ import annotations

from gerbang_sidecar.domain.identifiers._text import (
    Field,
    collapse_spaces,
    is_latin_letter,
    prepare,
    too_long,
)

UNIT_ORGANISASI = Field("unit_organisasi")
JABATAN = Field("jabatan")
PROVINSI = Field("provinsi")
MAX_LENGTH = 100


def parse_unit_organisasi(raw: str | None) -> str:
    return _parse_letters_digits_spaces(raw, UNIT_ORGANISASI)


def parse_jabatan(raw: str | None) -> str:
    return _parse_letters_digits_spaces(raw, JABATAN)


def parse_provinsi(raw: str | None) -> str:
    return _parse_letters_digits_spaces(raw, PROVINSI)


def _parse_letters_digits_spaces(raw: str | None, field: Field) -> str:
    text = collapse_spaces(prepare(raw, field, MAX_LENGTH))
    if len(text) > MAX_LENGTH:
        raise too_long(field, MAX_LENGTH)
    if not all(ch == " " or "0" <= ch <= "9" or is_latin_letter(ch) for ch in text):
        raise field.error("chars", key="field.letters_digits_spaces")
    return text
