"""B16 "Info": what an issued certificate says, read from the certificate itself (not from
the list's columns), so the page shows exactly what relying parties will see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

# RFC 4514 has no short name for serialNumber; OpenSSL and Adobe show this one.
_NAMES = {NameOID.SERIAL_NUMBER: "serialNumber"}
# The names a relying party's tool shows for the key usages our profiles set.
_USAGES = ("digital_signature", "content_commitment", "key_encipherment", "key_cert_sign",
           "crl_sign")


@dataclass(frozen=True)
class CertificateDetails:
    subject: str
    issuer: str
    serial_number: str
    not_before: datetime
    not_after: datetime
    key: str
    key_usage: tuple[str, ...]
    sha256: str
    ocsp: tuple[str, ...]
    ca_issuers: tuple[str, ...]
    crl: tuple[str, ...]


def describe(der: bytes) -> CertificateDetails:
    certificate = x509.load_der_x509_certificate(der)
    return CertificateDetails(
        subject=certificate.subject.rfc4514_string(_NAMES),
        issuer=certificate.issuer.rfc4514_string(_NAMES),
        serial_number=f"{certificate.serial_number:X}",
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        key=_key(certificate),
        key_usage=_key_usage(certificate),
        sha256=certificate.fingerprint(hashes.SHA256()).hex(":").upper(),
        ocsp=_access(certificate, AuthorityInformationAccessOID.OCSP),
        ca_issuers=_access(certificate, AuthorityInformationAccessOID.CA_ISSUERS),
        crl=_crl(certificate))


def _key(certificate: x509.Certificate) -> str:
    public = certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        return f"RSA {public.key_size}"
    if isinstance(public, ec.EllipticCurvePublicKey):
        return f"EC {public.curve.name}"
    return type(public).__name__


def _key_usage(certificate: x509.Certificate) -> tuple[str, ...]:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(name for name in _USAGES if getattr(usage, name))


def _access(certificate: x509.Certificate, method: x509.ObjectIdentifier) -> tuple[str, ...]:
    try:
        info = certificate.extensions.get_extension_for_class(
            x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(str(d.access_location.value) for d in info if d.access_method == method)


def _crl(certificate: x509.Certificate) -> tuple[str, ...]:
    try:
        points = certificate.extensions.get_extension_for_class(
            x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(str(name.value) for point in points for name in point.full_name or ())
