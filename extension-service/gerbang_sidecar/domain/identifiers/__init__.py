"""Identifier rules: each parser returns a normalised value or raises ``IdentifierError``.

Pure functions over strings, no I/O: registries decide whether a number exists, these rules
decide whether it could. Callers import from here, not from the modules.
"""

from gerbang_sidecar.domain.identifiers.dates import (
    DateField,
    parse_birth_date,
    parse_date_dmy,
)
from gerbang_sidecar.domain.identifiers.email_address import EmailAddress, parse_email
from gerbang_sidecar.domain.identifiers.errors import IdentifierError
from gerbang_sidecar.domain.identifiers.mobile_number import MobileNumber, parse_mobile_number
from gerbang_sidecar.domain.identifiers.nib import Nib, parse_nib
from gerbang_sidecar.domain.identifiers.nik import Nik, check_birth_date_matches_nik, parse_nik
from gerbang_sidecar.domain.identifiers.nip import Nip, check_nip_matches_nik, parse_nip
from gerbang_sidecar.domain.identifiers.npwp import Npwp, parse_npwp
from gerbang_sidecar.domain.identifiers.nrp import Nrp, parse_nrp
from gerbang_sidecar.domain.identifiers.organisation_name import (
    OrganisationName,
    parse_organisation_name,
)
from gerbang_sidecar.domain.identifiers.passport import Passport, parse_passport
from gerbang_sidecar.domain.identifiers.person_name import PersonName, parse_person_name
from gerbang_sidecar.domain.identifiers.service_details import (
    parse_jabatan,
    parse_provinsi,
    parse_unit_organisasi,
)
from gerbang_sidecar.domain.identifiers.sex import Sex
from gerbang_sidecar.domain.identifiers.sid import Sid, parse_sid

__all__ = [
    "DateField",
    "EmailAddress",
    "IdentifierError",
    "MobileNumber",
    "Nib",
    "Nik",
    "Nip",
    "Npwp",
    "Nrp",
    "OrganisationName",
    "Passport",
    "PersonName",
    "Sex",
    "Sid",
    "check_birth_date_matches_nik",
    "check_nip_matches_nik",
    "parse_birth_date",
    "parse_date_dmy",
    "parse_email",
    "parse_jabatan",
    "parse_mobile_number",
    "parse_nib",
    "parse_nik",
    "parse_nip",
    "parse_npwp",
    "parse_nrp",
    "parse_organisation_name",
    "parse_passport",
    "parse_person_name",
    "parse_provinsi",
    "parse_sid",
    "parse_unit_organisasi",
]
