"""Nama Lengkap as on the KTP or passport (A2, A3, B2), matched against Dukcapil or KSEI.

B2 allows letters, spaces and apostrophes only: no titles, no digits, no "." or ",". Titles are
detected before punctuation so "Dr. Budi" is told about the title, the thing to remove, rather
than about the dot.
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

FIELD = Field("person_name")
MIN_LETTERS = 2
MAX_LENGTH = 100

# Honorifics written before a name (dotted or not), compared after removing "." and ",".
_TITLES_BEFORE = frozenset(
    {"DR", "DRS", "DRA", "IR", "PROF", "H", "HJ", "KH", "HAJI", "HAJJAH", "NY", "NYONYA"}
)
# Academic and professional degrees written after a name.
_DEGREES_AFTER = frozenset(
    {
        "AMD", "AMK", "AMKEB", "AMKEP", "APT", "BSC", "CPA", "LLM", "MBA", "MH", "MHUM", "MIP",
        "MKES", "MKN", "MKOM", "MM", "MPD", "MPDI", "MPH", "MPSI", "MSC", "MSI", "MSOS", "MT",
        "PHD", "SAG", "SDS", "SE", "SFARM", "SGZ", "SH", "SHUM", "SHUT", "SIKOM", "SIP", "SKED",
        "SKEL", "SKEP", "SKG", "SKH", "SKM", "SKOM", "SP", "SPA", "SPAN", "SPB", "SPBS", "SPD",
        "SPDI", "SPI", "SPJP", "SPKJ", "SPKK", "SPM", "SPN", "SPOG", "SPOT", "SPPD", "SPRAD",
        "SPRM", "SPS", "SPSI", "SPSIKOLOG", "SPT", "SPTHT", "SPU", "SSI", "SSN", "SSOS", "SSTP",
        "SSTR", "ST", "STP", "STR",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PersonName:
    value: str


def parse_person_name(raw: str | None) -> PersonName:
    """Collapse spaces and apply B2; letter case is kept as typed (matching ignores it)."""
    text = collapse_spaces(normalise_apostrophes(prepare(raw, FIELD, MAX_LENGTH)))
    if len(text) > MAX_LENGTH:
        raise too_long(FIELD, MAX_LENGTH)
    if _has_title(text):
        raise FIELD.error("title")
    if any("0" <= ch <= "9" or ch.isdigit() for ch in text):
        raise FIELD.error("digits")
    if "." in text or "," in text:
        raise FIELD.error("punctuation")
    if not all(ch in " '" or is_latin_letter(ch) for ch in text):
        raise FIELD.error("chars")
    if sum(1 for ch in text if ch != " " and ch != "'") < MIN_LETTERS:
        raise FIELD.error("too_short", min=MIN_LETTERS)
    return PersonName(value=text)


def _has_title(text: str) -> bool:
    tokens = [t for t in (_bare(token) for token in text.replace(",", " ").split()) if t]
    if not tokens:
        return False
    return tokens[0] in _TITLES_BEFORE or tokens[-1] in _DEGREES_AFTER


def _bare(token: str) -> str:
    return token.replace(".", "").upper()
