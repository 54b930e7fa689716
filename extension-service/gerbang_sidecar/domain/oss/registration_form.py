"""The OSS registration form (O1–O4), pure: no I/O, no clock, no Keycloak.

"Jenis Identitas" (O1) chooses the KTP form (O2) or the passport form (O3); every field is
mandatory and every error is returned at once, keyed by its form field (X5). The terms of
use must be accepted (O4). Whether the NIK's population record agrees (O2) is the registry's
to say (services/oss/registration.py); whether the captcha was solved is the page's.

Our deviation: both forms also ask the full name ("Nama Lengkap", as on the KTP or passport).
The manual's forms do not, yet the account, its emails and the Home page need a name, and for
a KTP Dukcapil checks it together with the birth date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from gerbang_sidecar.domain.consent import is_ticked
from gerbang_sidecar.domain.form_rules import FieldErrors
from gerbang_sidecar.domain.identifiers import (
    DateField,
    IdentifierError,
    check_birth_date_matches_nik,
    parse_birth_date,
    parse_date_dmy,
    parse_email,
    parse_mobile_number,
    parse_nik,
    parse_passport,
    parse_person_name,
)
from gerbang_sidecar.domain.identifiers._text import Field
from gerbang_sidecar.domain.identifiers.country import dial_code_of, parse_country
from gerbang_sidecar.domain.identifiers.place import parse_place

TYPE_FIELD = "identity_type"
TERMS_FIELD = "terms"
INDONESIA = "ID"
# Responsible persons of a business (directors, commissioners) are adults.
MINIMUM_AGE = 17


class IdentityType(StrEnum):
    """O1. The values are the realm's ``identityType`` options, so they go to Keycloak as is."""

    KTP = "ktp"
    PASPOR = "paspor"


class Sex(StrEnum):
    """The realm's ``gender`` options: Laki-laki, Perempuan."""

    L = "L"
    P = "P"


# O2, O3: the fields of each type, in the order the form shows them (the terms box follows).
FIELDS: Mapping[IdentityType, tuple[str, ...]] = {
    IdentityType.KTP: ("nik", "name", "country", "birth_date", "phone", "email"),
    IdentityType.PASPOR: ("passport", "passport_country", "passport_issue_date",
                          "passport_expiry_date", "passport_office", "name", "sex",
                          "citizenship", "birth_place", "birth_date", "phone", "email"),
}


@dataclass(frozen=True, slots=True)
class OssRegistration:
    """A validated OSS registration, normalised (dates ISO, phone E.164, countries ISO)."""

    identity_type: IdentityType
    name: str
    birth_date: dt.date
    phone: str
    email: str
    country: str  # KTP: Negara Asal; passport: Kewarganegaraan
    nik: str | None = None
    passport: str | None = None
    passport_country: str | None = None
    passport_issue_date: dt.date | None = None
    passport_expiry_date: dt.date | None = None
    passport_office: str | None = None
    sex: Sex | None = None
    birth_place: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: value.isoformat() if isinstance(value, dt.date) else
                (value.value if isinstance(value, StrEnum) else value)
                for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OssRegistration:
        def day(key: str) -> dt.date | None:
            value = data.get(key)
            return dt.date.fromisoformat(value) if value else None

        return cls(
            identity_type=IdentityType(data["identity_type"]), name=data["name"],
            birth_date=dt.date.fromisoformat(data["birth_date"]), phone=data["phone"],
            email=data["email"], country=data["country"], nik=data.get("nik"),
            passport=data.get("passport"), passport_country=data.get("passport_country"),
            passport_issue_date=day("passport_issue_date"),
            passport_expiry_date=day("passport_expiry_date"),
            passport_office=data.get("passport_office"),
            sex=Sex(data["sex"]) if data.get("sex") else None,
            birth_place=data.get("birth_place"))

    def __repr__(self) -> str:
        # Never print identifiers, even in a traceback (X3).
        return f"OssRegistration(identity_type={self.identity_type.value!r})"

    __str__ = __repr__


def parse_identity_type(raw: str | None) -> IdentityType:
    try:
        return IdentityType((raw or "").strip().lower())
    except ValueError:
        raise IdentifierError("identity_type.invalid") from None


def validate_form(form: Mapping[str, str | None], *,
                  today: dt.date) -> OssRegistration | FieldErrors:
    """Check every field of the chosen identity type and report all errors together (X5)."""
    try:
        kind = parse_identity_type(form.get(TYPE_FIELD))
    except IdentifierError as error:
        return FieldErrors({TYPE_FIELD: error})
    errors: dict[str, IdentifierError] = {}
    values: dict[str, Any] = {}

    def take(field: str, parse: Callable[[str | None], Any]) -> None:
        try:
            values[field] = parse(form.get(field))
        except IdentifierError as error:
            errors[field] = error.on_field(field)

    take("name", lambda raw: parse_person_name(raw).value)
    take("birth_date", lambda raw: _adult_birth_date(raw, today))
    if kind is IdentityType.KTP:
        take("nik", lambda raw: parse_nik(raw, today=today))
        take("country", lambda raw: parse_country(raw, Field("country")))
        country = values.get("country", INDONESIA)
        if "nik" in values and "birth_date" in values:
            mismatch = check_birth_date_matches_nik(values["birth_date"], values["nik"])
            if mismatch is not None:
                errors["birth_date"] = mismatch.on_field("birth_date")
    else:
        take("passport_country", lambda raw: parse_country(raw, Field("passport_country")))
        take("passport", lambda raw: parse_passport(
            raw, issuing_country=values.get("passport_country", "XX")).number)
        take("passport_issue_date", lambda raw: parse_date_dmy(
            raw, field=DateField.PASSPORT_ISSUE_DATE))
        take("passport_expiry_date", lambda raw: parse_date_dmy(
            raw, field=DateField.PASSPORT_EXPIRY_DATE))
        take("passport_office", lambda raw: parse_place(raw, Field("passport_office")))
        take("sex", _sex)
        take("citizenship", lambda raw: parse_country(raw, Field("citizenship")))
        take("birth_place", lambda raw: parse_place(raw, Field("birth_place")))
        errors.update(_passport_dates(values, today))
        country = values.get("citizenship", INDONESIA)
    take("phone", lambda raw: parse_mobile_number(
        raw, dial_code=dial_code_of(country), allow_foreign=True).e164)
    take("email", lambda raw: parse_email(raw).value)
    if not is_ticked(form.get(TERMS_FIELD)):
        errors[TERMS_FIELD] = IdentifierError("terms.required")

    if errors:
        return FieldErrors(errors)
    nik = values.get("nik")
    return OssRegistration(
        identity_type=kind, name=values["name"], birth_date=values["birth_date"],
        phone=values["phone"], email=values["email"], country=country,
        nik=nik.value if nik is not None else None, passport=values.get("passport"),
        passport_country=values.get("passport_country"),
        passport_issue_date=values.get("passport_issue_date"),
        passport_expiry_date=values.get("passport_expiry_date"),
        passport_office=values.get("passport_office"), sex=values.get("sex"),
        birth_place=values.get("birth_place"))


def form_fields(form: Mapping[str, str | None]) -> dict[str, str]:
    """The submitted values of the chosen type's fields, exactly as typed (X5)."""
    try:
        kind = parse_identity_type(form.get(TYPE_FIELD))
    except IdentifierError:
        kind = IdentityType.KTP
    kept = {TYPE_FIELD: kind.value}
    for field in FIELDS[kind]:
        value = form.get(field)
        kept[field] = value if isinstance(value, str) else ""
    return kept


def _adult_birth_date(raw: str | None, today: dt.date) -> dt.date:
    birth_date = parse_birth_date(raw, today=today)
    years = today.year - birth_date.year - ((today.month, today.day) <
                                            (birth_date.month, birth_date.day))
    if years < MINIMUM_AGE:
        raise IdentifierError("birth_date.too_young", years=MINIMUM_AGE)
    return birth_date


def _passport_dates(values: Mapping[str, Any], today: dt.date) -> dict[str, IdentifierError]:
    """O3: issued after birth and before expiry, and still valid today."""
    errors: dict[str, IdentifierError] = {}
    issued, expires = values.get("passport_issue_date"), values.get("passport_expiry_date")
    born = values.get("birth_date")
    if issued is not None and issued > today:
        errors["passport_issue_date"] = IdentifierError("passport_issue_date.future")
    elif issued is not None and born is not None and issued < born:
        errors["passport_issue_date"] = IdentifierError("passport_issue_date.before_birth")
    if expires is not None and expires <= today:
        errors["passport_expiry_date"] = IdentifierError("passport_expiry_date.past")
    elif issued is not None and expires is not None and expires <= issued:
        errors["passport_expiry_date"] = IdentifierError(
            "passport_expiry_date.before_issue")
    return errors


def _sex(raw: str | None) -> Sex:
    try:
        return Sex((raw or "").strip().upper())
    except ValueError:
        raise IdentifierError("sex.required") from None
