"""AKSes registration rules (A1–A5, A8), pure: no I/O, no clock, no Keycloak.

Three registration types (A1), each with its own four fields (A2–A4). The form is validated
field by field and every error is returned at once (X5). Registry answers are then turned into
one of three decisions: eligible (with the SID found, hence the roles and the Keycloak
attributes), rejected (field errors), or registry unavailable (a temporary problem, never an
account and never "not found").

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
from gerbang_sidecar.domain.registry_results import (
    Investor,
    Match,
    NoMatch,
    PopulationMatch,
    RegistryResult,
    Unavailable,
    compare_investor,
)

REALM = "akses"
TYPE_FIELD = "type"

ROLE_INVESTOR = "investor"
ROLE_REGISTERED_USER = "registered-user"
ROLE_EASY_SHAREHOLDER = "easy-shareholder"

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

TYPE_LABELS: Mapping[RegistrationType, tuple[str, str]] = {
    RegistrationType.INDIVIDU_LOKAL: ("Individu Lokal", "Local Individual"),
    RegistrationType.INDIVIDU_ASING: ("Investor Individu Asing", "Foreign Individual Investor"),
    RegistrationType.INSTITUSI: ("Investor Institusi", "Institutional Investor"),
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


@dataclass(frozen=True)
class FieldErrors:
    """Every rejected field with its error, keyed by form field (X5)."""

    errors: Mapping[str, IdentifierError]

    def messages(self, lang: str = "id") -> dict[str, str]:
        return {name: error.message(lang) for name, error in self.errors.items()}


# --- form validation ------------------------------------------------------------------------


def parse_registration_type(raw: str | None) -> RegistrationType:
    try:
        return RegistrationType((raw or "").strip().lower())
    except ValueError:
        raise IdentifierError(
            "type.invalid",
            "Pilih tipe registrasi: Individu Lokal, Investor Individu Asing atau Investor "
            "Institusi.",
            "Choose a registration type: Local Individual, Foreign Individual Investor or "
            "Institutional Investor.",
        ) from None


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
            errors[field] = _on_field(error, field)

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
        raise IdentifierError(
            "sid.individual",
            "SID ini milik investor individu. Gunakan pendaftaran Individu Lokal atau Investor "
            "Individu Asing.",
            "This SID belongs to an individual investor. Please register as a Local Individual "
            "or a Foreign Individual Investor.",
        )
    return sid.value


def _foreign_passport(raw: str | None) -> str:
    return parse_passport(raw, issuing_country=_UNKNOWN_FOREIGN_COUNTRY).number


def _on_field(error: IdentifierError, field: str) -> IdentifierError:
    """Re-key an identifier rule's error to the form field (``person_name.x`` -> ``name.x``)."""
    if error.field == field:
        return error
    reason = error.code.split(".", 1)[1] if "." in error.code else "invalid"
    return IdentifierError(f"{field}.{reason}", error.message_id, error.message_en)


# --- registry decisions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Eligible:
    """The registries agree: ``data`` carries the SID found, if any."""

    data: RegistrationData


@dataclass(frozen=True)
class Rejected:
    errors: Mapping[str, IdentifierError]


@dataclass(frozen=True)
class RegistryDown:
    """A registry could not answer: a temporary problem, never a verdict on the person."""

    registry: str
    reason: str


Decision = Eligible | Rejected | RegistryDown


def population_mismatch() -> IdentifierError:
    # One answer for "NIK unknown" and "name differs", on the name: it tells a stranger
    # typing someone's NIK nothing about whether that NIK exists (X1).
    return IdentifierError(
        "name.population_mismatch",
        "Nama Lengkap dan NIK tidak sesuai dengan data kependudukan (Dukcapil). Tulis nama "
        "persis seperti pada KTP dan periksa kembali NIK.",
        "The full name and NIK do not match the population register (Dukcapil). Write the "
        "name exactly as on the ID card and check the NIK.",
    )


def broker_email_mismatch() -> IdentifierError:
    return IdentifierError(
        "email.broker_mismatch",
        "Email harus sama dengan email yang Anda daftarkan melalui Perusahaan Efek (broker) "
        "atau Manajer Investasi Anda.",
        "The email must be the one you registered with your broker or investment manager.",
    )


def investor_not_found(field: str) -> IdentifierError:
    # Same answer for "no such investor" and "name differs" (X1): the field to recheck is
    # the identifier the type registers with.
    if field == "passport":
        return IdentifierError(
            "passport.investor_not_found",
            "Data investor untuk Nama Lengkap dan Passport ini tidak ditemukan di KSEI. "
            "Periksa kembali keduanya sesuai data di Perusahaan Efek (broker) Anda.",
            "No investor with this full name and passport was found at KSEI. Please check "
            "both against the data your broker holds.",
        )
    return IdentifierError(
        f"{field}.investor_not_found",
        "Data investor untuk nama perusahaan dan SID ini tidak ditemukan di KSEI. Periksa "
        "kembali keduanya sesuai data di Perusahaan Efek (broker) atau Manajer Investasi.",
        "No investor with this company name and SID was found at KSEI. Please check both "
        "against the data your broker or investment manager holds.",
    )


def decide_local(data: RegistrationData,
                 population: RegistryResult[PopulationMatch],
                 investor: RegistryResult[Investor] | None) -> Decision:
    """A2: the name must match Dukcapil for the NIK; a SID at KSEI makes an investor, whose
    email must equal the broker's; no SID makes a Registered User (A1).

    ``investor`` is KSEI's answer for the NIK, or None when Dukcapil did not match (then
    KSEI need not be asked).
    """
    if isinstance(population, Unavailable):
        return RegistryDown(population.registry, population.reason)
    if not isinstance(population, Match):
        return Rejected({"name": population_mismatch()})
    if investor is None:
        raise ValueError("KSEI must be asked once Dukcapil has matched")
    if isinstance(investor, Unavailable):
        return RegistryDown(investor.registry, investor.reason)
    if not isinstance(investor, Match):
        return Eligible(data.with_sid(None))  # no SID: Registered User
    # The local name was proven at Dukcapil; KSEI may spell it differently (broker records).
    compared = compare_investor(investor, email=data.email)
    if isinstance(compared, NoMatch):
        return Rejected({"email": broker_email_mismatch()})
    return Eligible(data.with_sid(investor.data.sid))


def decide_by_investor(data: RegistrationData,
                       investor: RegistryResult[Investor]) -> Decision:
    """A3 (passport) and A4 (SID): there must be an investor at KSEI whose name matches, and
    then its broker-registered email must equal the one typed."""
    field = "passport" if data.type is RegistrationType.INDIVIDU_ASING else "sid"
    if isinstance(investor, Unavailable):
        return RegistryDown(investor.registry, investor.reason)
    compared = compare_investor(investor, email=data.email, name=data.name)
    if isinstance(compared, Match):
        return Eligible(data.with_sid(compared.data.sid))
    if isinstance(compared, NoMatch) and compared.mismatched == ("email",):
        return Rejected({"email": broker_email_mismatch()})
    # Not found, or the name differs (with or without the email): the identity itself did
    # not check out, so nothing is said about the email (X1).
    return Rejected({field: investor_not_found(field)})


# --- what an eligible registration becomes --------------------------------------------------


def roles_for(data: RegistrationData) -> tuple[str, ...]:
    """A1 and A8: investors by SID; eASY only for local individuals holding a SID."""
    if data.type is RegistrationType.INDIVIDU_LOKAL:
        if data.sid is None:
            return (ROLE_REGISTERED_USER,)
        return (ROLE_INVESTOR, ROLE_EASY_SHAREHOLDER)
    if data.sid is None:
        raise ValueError("foreign individuals and institutions register only with a SID")
    return (ROLE_INVESTOR,)


def keycloak_attributes(data: RegistrationData) -> dict[str, str]:
    """The realm's user-profile attributes (realm-config/akses/user-profile.json)."""
    attributes = {"investorType": data.type.value, "phoneNumber": data.phone,
                  "phoneNumberVerified": "false"}
    for name in ("nik", "passport", "sid"):
        value = getattr(data, name)
        if value is not None:
            attributes[name] = value
    return attributes


def identifiers_of(data: RegistrationData) -> list[tuple[str, str]]:
    """(kind, canonical value) pairs recorded as identity records and checked for duplicates.

    Emails compare case-insensitively (A2: an email is a username), so the lower-cased
    address is the key; the others are already canonical (digits, upper case, E.164).
    """
    pairs = [("nik", data.nik), ("passport", data.passport), ("sid", data.sid),
             ("email", data.email.lower()), ("phone", data.phone)]
    return [(kind, value) for kind, value in pairs if value is not None]


def mask_identifier(value: str, visible: int = 4) -> str:
    """For the confirmation page: enough for the user to recognise, not to copy."""
    if len(value) <= visible:
        return "*" * len(value)
    return "*" * (len(value) - visible) + value[-visible:]
