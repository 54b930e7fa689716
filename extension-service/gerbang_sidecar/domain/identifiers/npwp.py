"""NPWP (tax number) of a company, checked against OSS for an INSW organisation account (I1).

Both forms are in use: the legacy 15 digits and, since 2024, 16 digits (a NIK for individuals,
or the legacy number with a leading 0). python-stdnum does the checks; we map its exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.id import npwp as stdnum_npwp

from gerbang_sidecar.domain.identifiers._digits import reject_all_zeros
from gerbang_sidecar.domain.identifiers._text import (
    Field,
    is_ascii_digits,
    prepare,
    strip_separators,
)
from gerbang_sidecar.domain.identifiers.errors import IdentifierError
from gerbang_sidecar.domain.identifiers.nik import parse_nik
from gerbang_sidecar.domain.masking import mask

FIELD = Field("npwp")
_LEGACY_LENGTH = 15
_CURRENT_LENGTH = 16


@dataclass(frozen=True, slots=True, repr=False)
class Npwp:
    """An NPWP as digits, in the form it was given (15 or 16)."""

    value: str

    @property
    def is_legacy(self) -> bool:
        return len(self.value) == _LEGACY_LENGTH

    @property
    def is_nik_based(self) -> bool:
        """A 16-digit NPWP not starting with 0 is the holder's NIK."""
        return len(self.value) == _CURRENT_LENGTH and not self.value.startswith("0")

    @property
    def npwp16(self) -> str:
        """The 16-digit form, so records given in either form compare equal."""
        return "0" + self.value if self.is_legacy else self.value

    @property
    def formatted(self) -> str:
        """``01.312.166.0-091.000`` for the legacy form; 16-digit numbers are shown as digits."""
        if self.is_legacy:
            return stdnum_npwp.format(self.value)
        return self.value

    def __repr__(self) -> str:
        return f"Npwp({mask(self.value)})"

    __str__ = __repr__


def parse_npwp(raw: str | None) -> Npwp:
    """Validate an NPWP typed with or without its dots and dash."""
    digits = strip_separators(prepare(raw, FIELD, _CURRENT_LENGTH + 5))
    if len(digits) == _CURRENT_LENGTH and is_ascii_digits(digits) and digits[0] != "0":
        # A NIK used as NPWP: our NIK rule also knows provinces stdnum's table lacks.
        try:
            parse_nik(digits)
        except IdentifierError:
            raise _nik_error() from None
        return Npwp(value=digits)
    try:
        value = stdnum_npwp.validate(digits)
    except InvalidLength:
        raise FIELD.error("length") from None
    except InvalidFormat:
        raise FIELD.error("format") from None
    except InvalidChecksum:
        raise FIELD.error("checksum") from None
    except InvalidComponent:
        raise _nik_error() from None
    except ValidationError:
        raise FIELD.error("invalid") from None
    reject_all_zeros(value, FIELD)
    return Npwp(value=value)


def _nik_error() -> IdentifierError:
    return FIELD.error("nik")
