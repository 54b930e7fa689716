"""The AKSes registration form (A1–A4), pure: no I/O, no clock, no Keycloak.

Three registration types (A1), each with its own four fields (A2–A4). The form is validated
field by field and every error is returned at once (X5).

Form field names are the same for every type — ``name``, ``nik`` / ``passport`` / ``sid``,
``phone``, ``email`` — and errors are keyed and coded by those names, so a page puts each
message beside its input whatever rule raised it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from gerbang_sidecar.domain.form_rules import FieldErrors
from gerbang_sidecar.domain.identifiers import (
    IdentifierError,
    parse_email,
    parse_mobile_number,
    parse_nik,
    parse_organisation_name,
    parse_passport,
    parse_person_name,
    parse_sid,
)

TYPE_FIELD = "type"

# A3 asks only for the passport number: a WNA's passport is foreign by definition, so the
# foreign format applies. "XX" (user-assigned in ISO 3166, "unknown" in practice) stands in
# for the issuing country, which KSEI does not need; only the number is kept.
_UNKNOWN_FOREIGN_COUNTRY = "XX"


class RegistrationType(StrEnum):
    """A1. The values are the realm's ``investorType`` options, so they go to Keycloak as is."""

    INDIVIDU_LOKAL = "individu-lokal"
    INDIVIDU_ASING = "individu-asing"
    INSTITUSI = "institusi"


# A2–A4: the fields of each type, in the order the form shows them.
FIELDS: Mapping[RegistrationType, tuple[str, ...]] = {
    RegistrationType.INDIVIDU_LOKAL: ("name", "nik", "phone", "email"),
    RegistrationType.INDIVIDU_ASING: ("name", "passport", "phone", "email"),
    RegistrationType.INSTITUSI: ("name", "sid", "phone", "email"),
}


@dataclass(frozen=True, slots=True)
class RegistrationData:
    """A validated registration, normalised; ``sid`` is typed (A4) or found at KSEI (A2, A3)."""

    type: RegistrationType
    name: str
    email: str
    phone: str  # E.164
    nik: str | None = None
    passport: str | None = None
    sid: str | None = None

    @property
    def is_investor(self) -> bool:
        return self.sid is not None

    def with_sid(self, sid: str | None) -> RegistrationData:
        return replace(self, sid=sid)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "type": self.type.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RegistrationData:
        return cls(
            type=RegistrationType(data["type"]), name=data["name"], email=data["email"],
            phone=data["phone"], nik=data.get("nik"), passport=data.get("passport"),
            sid=data.get("sid"),
        )

    def __repr__(self) -> str:
        # Never print identifiers, even in a traceback (X3).
        return f"RegistrationData(type={self.type.value!r}, investor={self.is_investor})"

    __str__ = __repr__


# --- form validation ------------------------------------------------------------------------


def parse_registration_type(raw: str | None) -> RegistrationType:
    try:
        return RegistrationType((raw or "").strip().lower())
    except ValueError:
        raise IdentifierError("type.invalid") from None


def validate_form(form: Mapping[str, str | None], *,
                  today: dt.date | None = None) -> RegistrationData | FieldErrors:
    """Check every field of the chosen type and report all errors together (X5).

    ``today`` fixes the NIK's birth-year century (see ``parse_nik``); pass the clock's date.
    """
    try:
        kind = parse_registration_type(form.get(TYPE_FIELD))
    except IdentifierError as error:
        return FieldErrors({TYPE_FIELD: error})

    errors: dict[str, IdentifierError] = {}
    values: dict[str, str] = {}

    def take(field: str, parse: Any) -> None:
        try:
            values[field] = parse(form.get(field))
        except IdentifierError as error:
            errors[field] = error.on_field(field)

    if kind is RegistrationType.INSTITUSI:
        take("name", lambda raw: parse_organisation_name(raw).value)
        take("sid", _institution_sid)
    else:
        take("name", lambda raw: parse_person_name(raw).value)
    if kind is RegistrationType.INDIVIDU_LOKAL:
        take("nik", lambda raw: parse_nik(raw, today=today).value)
    if kind is RegistrationType.INDIVIDU_ASING:
        take("passport", _foreign_passport)
    # Local individuals receive OTP codes on an Indonesian number; foreigners and foreign
    # institutions may only have a foreign one.
    foreign_phone_ok = kind is not RegistrationType.INDIVIDU_LOKAL
    take("phone", lambda raw: parse_mobile_number(raw, allow_foreign=foreign_phone_ok).e164)
    take("email", lambda raw: parse_email(raw).value)

    if errors:
        return FieldErrors(errors)
    return RegistrationData(
        type=kind, name=values["name"], email=values["email"], phone=values["phone"],
        nik=values.get("nik"), passport=values.get("passport"), sid=values.get("sid"),
    )


def form_fields(form: Mapping[str, str | None]) -> dict[str, str]:
    """The submitted values of the chosen type's fields, exactly as typed ("Kembali", A5)."""
    try:
        kind = parse_registration_type(form.get(TYPE_FIELD))
    except IdentifierError:
        return {}
    kept = {TYPE_FIELD: kind.value}
    for field in FIELDS[kind]:
        value = form.get(field)
        kept[field] = value if isinstance(value, str) else ""
    return kept


def _institution_sid(raw: str | None) -> str:
    sid = parse_sid(raw)
    if sid.is_individual:
        # Individuals register with their NIK or passport; telling so needs no registry.
        raise IdentifierError("sid.individual")
    return sid.value


def _foreign_passport(raw: str | None) -> str:
    return parse_passport(raw, issuing_country=_UNKNOWN_FOREIGN_COUNTRY).number
