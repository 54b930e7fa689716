"""Shared shape check for the plain digit identifiers (NIB, NRP, NIP)."""

from __future__ import annotations

from gerbang_sidecar.domain.identifiers._text import (
    Field,
    is_ascii_digits,
    prepare,
    strip_separators,
)


def parse_digits(raw: str | None, field: Field, length: int) -> str:
    """Return exactly ``length`` ASCII digits, with the field's own messages otherwise."""
    digits = strip_separators(prepare(raw, field, length))
    if not is_ascii_digits(digits):
        raise field.error("format", key="field.digits_only")
    if len(digits) != length:
        raise field.error("length", key="field.digit_count", length=length)
    return digits


def reject_all_zeros(digits: str, field: Field) -> None:
    """A number of only zeros is a placeholder some systems use for "none", never a real one."""
    if set(digits) == {"0"}:
        raise field.error("invalid", key="field.not_valid")
