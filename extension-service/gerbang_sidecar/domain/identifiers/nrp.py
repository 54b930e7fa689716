"""NRP (Nomor Registrasi Pokok), a police officer's number checked against SIPP (B3)."""

from __future__ import annotations

from dataclasses import dataclass

from gerbang_sidecar.domain.identifiers._digits import parse_digits, reject_all_zeros
from gerbang_sidecar.domain.identifiers._text import Field
from gerbang_sidecar.domain.masking import mask

FIELD = Field("nrp")
NRP_LENGTH = 8


@dataclass(frozen=True, slots=True, repr=False)
class Nrp:
    value: str

    def __repr__(self) -> str:
        return f"Nrp({mask(self.value)})"

    __str__ = __repr__


def parse_nrp(raw: str | None) -> Nrp:
    """Only the shape is checked here; SIPP decides whether the officer exists."""
    digits = parse_digits(raw, FIELD, NRP_LENGTH)
    reject_all_zeros(digits, FIELD)
    return Nrp(value=digits)
