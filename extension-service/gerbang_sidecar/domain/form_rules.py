"""What every portal's form rules share, pure: the refusals of a whole form at once (X5), the
field-by-field collection of parsed values, and the reason an officer gives for a refusal."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gerbang_sidecar.domain.identifiers import IdentifierError

MAX_REASON = 500


@dataclass(frozen=True)
class FieldErrors:
    """Every rejected field with its error, keyed by form field (X5)."""

    errors: Mapping[str, IdentifierError]


def collect(form: Mapping[str, str | None],
            rules: Mapping[str, Callable[[str | None], Any]]) -> dict[str, Any] | FieldErrors:
    """Each field through its parser; every refusal at once, placed on its own field."""
    values: dict[str, Any] = {}
    errors: dict[str, IdentifierError] = {}
    for field, parse in rules.items():
        try:
            values[field] = parse(form.get(field))
        except IdentifierError as error:
            errors[field] = error.on_field(field)
    return FieldErrors(errors) if errors else values


def parse_reason(raw: str | None) -> str:
    """A reviewer's or officer's reason (I4, B5, B11, B13): spaces collapsed, required, at
    most MAX_REASON characters; it is mailed to the person and kept in the audit trail."""
    reason = " ".join((raw or "").split())
    if not reason:
        raise IdentifierError("reason.required")
    if len(reason) > MAX_REASON:
        raise IdentifierError("reason.too_long", max_length=MAX_REASON)
    return reason
