"""NIB (Nomor Induk Berusaha), the OSS business number an INSW organisation registers with (I1)."""

from __future__ import annotations

from dataclasses import dataclass

from gerbang_sidecar.domain.identifiers._digits import parse_digits, reject_all_zeros
from gerbang_sidecar.domain.identifiers._text import Field

FIELD = Field("nib")
NIB_LENGTH = 13


@dataclass(frozen=True, slots=True)
class Nib:
    value: str


def parse_nib(raw: str | None) -> Nib:
    """NIB has no public check digit; only its shape can be checked before asking OSS."""
    digits = parse_digits(raw, FIELD, NIB_LENGTH)
    reject_all_zeros(digits, FIELD)
    return Nib(value=digits)
