"""The BSrE invitation (B1) and activation wizard (B2–B4), pure: no I/O, no clock.

Every step is validated on its own with every error at once (X5):

- the Verifikator's invitation: Nama Lengkap, NIK, Email (the instansi is the verifier's own);
- step 1, Data Diri: the name under B2's rule and the NIK (Dukcapil is asked by the service),
  the mobile number (10–15 digits) that a WhatsApp code then proves;
- step 2, Data Kedinasan: "ASN dan POLRI" with a NIP (BKN) or an NRP (SIPP), or "Lainnya"
  with Unit Organisasi, Jabatan and Provinsi;
- step 3, Foto Diri: the two consents (personal data processing, privacy policy).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from gerbang_sidecar.domain.consent import is_ticked
from gerbang_sidecar.domain.form_rules import FieldErrors, collect
from gerbang_sidecar.domain.identifiers import (
    IdentifierError,
    check_nip_matches_nik,
    parse_email,
    parse_jabatan,
    parse_mobile_number,
    parse_nik,
    parse_nip,
    parse_nrp,
    parse_person_name,
    parse_provinsi,
    parse_unit_organisasi,
)

# Registration types of the shared registrations table.
INVITED = "undangan"  # B1: registered by a Verifikator

INVITATION_FIELDS = ("name", "nik", "email")
SELF_REGISTRATION_FIELDS = ("nip", "nik", "email")
PERSONAL_FIELDS = ("name", "nik", "phone")
SERVICE_FIELDS = ("status", "number_kind", "number", "unit_organisasi", "jabatan", "provinsi")
CONSENT_FIELDS = ("consent_data", "consent_privacy")


class EmploymentStatus(StrEnum):
    """As the realm's user profile spells ``employmentStatus``."""

    ASN_POLRI = "asn-polri"
    LAINNYA = "lainnya"


class NumberKind(StrEnum):
    NIP = "nip"  # civil servant, BKN
    NRP = "nrp"  # police officer, SIPP


def validate_invitation(form: Mapping[str, str | None]) -> dict[str, str] | FieldErrors:
    """B1: what the Verifikator types about the person to invite."""
    return collect(form, {"name": lambda raw: parse_person_name(raw).value,
                           "nik": lambda raw: parse_nik(raw).value,
                           "email": lambda raw: parse_email(raw).value})


def validate_self_registration(form: Mapping[str, str | None]
                               ) -> dict[str, str] | FieldErrors:
    """B1 by NIP: NIP, NIK (the NIP must fit the NIK's birth date and sex) and email."""
    values = collect(form, {"nip": lambda raw: parse_nip(raw).value,
                             "nik": lambda raw: parse_nik(raw).value,
                             "email": lambda raw: parse_email(raw).value})
    if isinstance(values, FieldErrors):
        return values
    mismatch = check_nip_matches_nik(parse_nip(values["nip"]), parse_nik(values["nik"]))
    return FieldErrors({"nip": mismatch.on_field("nip")}) if mismatch else values


def validate_personal(form: Mapping[str, str | None]) -> dict[str, str] | FieldErrors:
    """B2: name, NIK, and the number the WhatsApp code goes to (E.164)."""
    return collect(form, {"name": lambda raw: parse_person_name(raw).value,
                           "nik": lambda raw: parse_nik(raw).value,
                           "phone": lambda raw: parse_mobile_number(raw).e164})


def validate_service(form: Mapping[str, str | None], nik: str) -> dict[str, str] | FieldErrors:
    """B3: the employment status and what it asks for. A NIP must also fit the NIK (birth
    date and sex), before BKN is asked."""
    try:
        status = EmploymentStatus(form.get("status") or "")
    except ValueError:
        return FieldErrors({"status": IdentifierError("status.required",
                                                      key="field.choose_one")})
    if status is EmploymentStatus.LAINNYA:
        values = collect(form, {"unit_organisasi": parse_unit_organisasi,
                                 "jabatan": parse_jabatan, "provinsi": parse_provinsi})
        return values if isinstance(values, FieldErrors) else {"status": status.value,
                                                                **values}
    try:
        kind = NumberKind(form.get("number_kind") or "")
    except ValueError:
        return FieldErrors({"number_kind": IdentifierError("number_kind.required",
                                                           key="field.choose_one")})
    try:
        if kind is NumberKind.NIP:
            nip = parse_nip(form.get("number"))
            mismatch = check_nip_matches_nik(nip, parse_nik(nik))
            if mismatch is not None:
                return FieldErrors({"number": mismatch.on_field("number")})
            number = nip.value
        else:
            number = parse_nrp(form.get("number")).value
    except IdentifierError as error:
        return FieldErrors({"number": error.on_field("number")})
    return {"status": status.value, "number_kind": kind.value, "number": number}


def validate_consents(form: Mapping[str, str | None]) -> FieldErrors | None:
    """B4: both consents are required."""
    errors = {name: IdentifierError(f"{name}.required", key="consent.required")
              for name in CONSENT_FIELDS if not is_ticked(form.get(name))}
    return FieldErrors(errors) if errors else None
