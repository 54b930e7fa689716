"""SID (Single Investor Identification) issued by KSEI, used by AKSes (A4, A7).

Fifteen characters: a two-letter investor type (``ID`` for individuals, ``CP`` for companies…),
``D`` or ``F`` for domestic or foreign, and twelve letters or digits -- the AKSes manual's own
example is ``IDF1502N4661537`` (SPEC A4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gerbang_sidecar.domain.identifiers._text import Field, prepare, strip_separators
from gerbang_sidecar.domain.identifiers.errors import IdentifierError
from gerbang_sidecar.domain.masking import mask

FIELD = Field("sid")
SID_LENGTH = 15
INDIVIDUAL_INVESTOR_TYPE = "ID"
_SID_RE = re.compile(r"([A-Z]{2})([DF])([A-Z0-9]{12})")


@dataclass(frozen=True, slots=True, repr=False)
class Sid:
    value: str

    @property
    def investor_type(self) -> str:
        """KSEI's two-letter investor type, e.g. ``ID`` individual, ``CP`` corporate."""
        return self.value[:2]

    @property
    def is_domestic(self) -> bool:
        return self.value[2] == "D"

    @property
    def is_foreign(self) -> bool:
        return not self.is_domestic

    @property
    def is_individual(self) -> bool:
        """Institutions register with the SID form (A4); individuals with NIK or passport."""
        return self.investor_type == INDIVIDUAL_INVESTOR_TYPE

    def __repr__(self) -> str:
        return f"Sid({mask(self.value)})"

    __str__ = __repr__


def parse_sid(raw: str | None) -> Sid:
    """Accept a SID in any letter case and with spaces or dashes, as copied from statements."""
    compact = strip_separators(prepare(raw, FIELD, SID_LENGTH))
    if not compact.isascii():
        raise _format_error()
    value = compact.upper()
    if len(value) != SID_LENGTH:
        raise FIELD.error("length")
    if not _SID_RE.fullmatch(value):
        raise _format_error()
    return Sid(value=value)


def _format_error() -> IdentifierError:
    return FIELD.error("format")
