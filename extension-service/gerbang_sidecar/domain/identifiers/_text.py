"""Input clean-up shared by every rule, so all fields treat pasted and typed text alike."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from gerbang_sidecar.domain.identifiers.errors import IdentifierError

# NFKC can expand a character into many; refuse absurd input before normalising it.
_EXPANSION_ALLOWANCE = 4

# Typographic apostrophes that phone keyboards and word processors substitute for "'".
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


@dataclass(frozen=True, slots=True)
class Field:
    """A form field's code; its label is ``label.<code>`` in the catalogs, so every message
    names the field the user sees."""

    code: str

    def error(self, reason: str, *, key: str | None = None, **params: object) -> IdentifierError:
        """``<code>.<reason>``; with ``key``, a sentence several fields share, which names
        this field by its label."""
        if key is not None:
            params = {"label": self.code, **params}
        return IdentifierError(f"{self.code}.{reason}", key=key, **params)


def prepare(raw: str | None, field: Field, max_length: int) -> str:
    """Normalise to NFKC and strip, so full-width digits or letters from mobile keyboards count.

    Every field in the portals is mandatory (O2, O3), hence a missing value is an error here.
    """
    if raw is None or not isinstance(raw, str) or not raw.strip():
        raise field.error("required", key="field.required")
    if len(raw) > max_length * _EXPANSION_ALLOWANCE:
        raise too_long(field, max_length)
    text = unicodedata.normalize("NFKC", raw).strip()
    if len(text) > max_length * _EXPANSION_ALLOWANCE:
        raise too_long(field, max_length)
    return text


def too_long(field: Field, max_length: int) -> IdentifierError:
    return field.error("too_long", key="field.too_long", max_length=max_length)


def collapse_spaces(text: str) -> str:
    """Collapse runs of any whitespace, so registry matches do not fail on a double space."""
    return " ".join(text.split())


def normalise_apostrophes(text: str) -> str:
    return text.translate(_APOSTROPHES)


def strip_separators(text: str, separators: str = " -.") -> str:
    """Drop the grouping characters people type in numbers, as printed on cards and letters."""
    return "".join(ch for ch in text if ch not in separators and not ch.isspace())


def is_ascii_digits(text: str) -> bool:
    """``str.isdigit`` accepts Arabic-Indic and other digits; identifiers are ASCII only."""
    return bool(text) and all("0" <= ch <= "9" for ch in text)


def is_latin_letter(ch: str) -> bool:
    """Letters of the Latin script, accented ones included (foreign names on passports).

    Other scripts are refused: names must match Dukcapil or passport records, which are Latin,
    and look-alike letters from other scripts would defeat exact matching.
    """
    if "A" <= ch <= "Z" or "a" <= ch <= "z":
        return True
    code = ord(ch)
    latin_block = 0x00C0 <= code <= 0x024F or 0x1E00 <= code <= 0x1EFF
    return latin_block and ch not in "\u00d7\u00f7" and ch.isalpha()

