"""OpenSSL's certificate database (``index.txt``, what ``openssl ca`` keeps and ``openssl
ocsp -index`` answers from), written from the sidecar's certificate rows.

One line per certificate, six tab-separated fields: V (valid) or R (revoked); the expiry
time; for R the revocation time and ``,reason``; the serial number in upper-case hex of
whole octets (OpenSSL looks a request's serial up as ``BN_bn2hex`` prints it, so "ABC" must
be written "0ABC"); a file name (``unknown``); the subject in OpenSSL's one-line form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

# The sidecar's RFC 5280 reason names -> OpenSSL's (apps/ca.c ``crl_reasons``). OpenSSL has
# no name for privilegeWithdrawn or aACompromise: such a line says revoked without a reason.
OPENSSL_REASONS = {
    "unspecified": "unspecified",
    "key_compromise": "keyCompromise",
    "ca_compromise": "CACompromise",
    "affiliation_changed": "affiliationChanged",
    "superseded": "superseded",
    "cessation_of_operation": "cessationOfOperation",
    "certificate_hold": "certificateHold",
}
# Short names OpenSSL prints that RFC 4514 does not define.
_SHORT_NAMES = {NameOID.SERIAL_NUMBER: "serialNumber", NameOID.EMAIL_ADDRESS: "emailAddress"}


@dataclass(frozen=True)
class IndexEntry:
    serial_number: int
    not_after: datetime
    subject: str  # OpenSSL's one-line form, see ``openssl_subject``
    revoked_at: datetime | None = None
    reason: str | None = None  # an RFC 5280 reason name as the sidecar stores it


def openssl_time(moment: datetime) -> str:
    """ASN.1 time as index.txt keeps it: UTCTime until 2049, GeneralizedTime from 2050
    (RFC 5280 4.1.2.5); a naive time is taken as UTC, as the sidecar stores them."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if 1950 <= utc.year < 2050:
        return utc.strftime("%y%m%d%H%M%SZ")
    return utc.strftime("%Y%m%d%H%M%SZ")


def openssl_serial(serial_number: int) -> str:
    if serial_number < 0:
        raise ValueError("certificate serial numbers are positive")
    digits = f"{serial_number:X}"
    return digits if len(digits) % 2 == 0 else f"0{digits}"


def openssl_subject(name: x509.Name) -> str:
    """``/C=ID/O=.../CN=...`` in the certificate's order, as ``X509_NAME_oneline`` prints."""
    parts = []
    for attribute in name:
        label = _SHORT_NAMES.get(attribute.oid, attribute.rfc4514_attribute_name)
        parts.append(f"/{label}={attribute.value!s}")
    return "".join(parts)


def index_line(entry: IndexEntry) -> str:
    fields = [entry.subject, *(() if entry.reason is None else (entry.reason,))]
    if any(c in field for field in fields for c in "\t\r\n"):
        raise ValueError("index.txt fields cannot hold tabs or line breaks")
    if entry.revoked_at is None:
        status, revocation = "V", ""
    else:
        status, revocation = "R", openssl_time(entry.revoked_at)
        reason = OPENSSL_REASONS.get(entry.reason or "")
        if reason is not None:
            revocation += f",{reason}"
    return "\t".join((status, openssl_time(entry.not_after), revocation,
                      openssl_serial(entry.serial_number), "unknown", entry.subject))


def index_text(entries: Iterable[IndexEntry]) -> str:
    return "".join(f"{index_line(entry)}\n" for entry in entries)


# ``openssl ocsp`` refuses a database with two valid certificates of one subject unless
# told that subjects need not be unique (a renewal leaves two until the old one expires).
INDEX_ATTRIBUTES = "unique_subject = no\n"
