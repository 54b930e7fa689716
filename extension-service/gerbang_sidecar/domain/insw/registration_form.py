"""The INSW organisation registration (I1–I3), pure: no I/O, no clock, no registry.

Three steps, each validated on its own with every error at once (X5):

1. the organisation: NIB, NPWP (15 or 16 digits) and the Penanggung Jawab's NIK, which OSS
   must hold together (I1; the service asks);
2. the responsible person: name, position, email (notices go there, I2), mobile number;
3. the Surat Kuasa as a PDF of at most 1 MB (its content checked by the document port) and
   the terms accepted (I3).
"""

from __future__ import annotations

from collections.abc import Mapping

from gerbang_sidecar.domain.consent import is_ticked
from gerbang_sidecar.domain.form_rules import FieldErrors, collect
from gerbang_sidecar.domain.identifiers import (
    IdentifierError,
    parse_email,
    parse_jabatan,
    parse_mobile_number,
    parse_nib,
    parse_nik,
    parse_npwp,
    parse_person_name,
)

REGISTRATION_TYPE = "organisasi"
ORGANISATION_FIELDS = ("nib", "npwp", "nik")
PERSON_FIELDS = ("name", "position", "email", "phone")
TERMS_FIELD = "terms"
DOCUMENT_FIELD = "surat_kuasa"
MAX_DOCUMENT_BYTES = 1024 * 1024  # I3: 1 MB


def validate_organisation(form: Mapping[str, str | None]) -> dict[str, str] | FieldErrors:
    """I1 step 1: the three numbers, normalised (digits only)."""
    return collect(form, {"nib": lambda raw: parse_nib(raw).value,
                           "npwp": lambda raw: parse_npwp(raw).value,
                           "nik": lambda raw: parse_nik(raw).value})


def validate_person(form: Mapping[str, str | None]) -> dict[str, str] | FieldErrors:
    """I2 step 2: the responsible person's own data; the phone in E.164."""
    return collect(form, {"name": lambda raw: parse_person_name(raw).value,
                           "position": parse_jabatan,
                           "email": lambda raw: parse_email(raw).value,
                           "phone": lambda raw: parse_mobile_number(raw).e164})


def check_document_size(size: int) -> IdentifierError | None:
    """I3: an empty upload or one over 1 MB is refused before anything reads it."""
    if size == 0:
        return IdentifierError("surat_kuasa.required")
    if size > MAX_DOCUMENT_BYTES:
        return IdentifierError("surat_kuasa.too_large", max_mb=1)
    return None


def terms_accepted(raw: str | None) -> IdentifierError | None:
    return None if is_ticked(raw) else IdentifierError("terms.required_insw")
