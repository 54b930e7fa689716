"""The certificate authority and the subscriber keys, as the certificate services will ask
(issue 12). One implementation today: adapters/ca (``cryptography``: a root and an issuing CA
whose keys are encrypted under a key-encryption key). An EJBCA- or HSM-backed CA implements
the same three calls (docs/certificates.md says what that needs).

Subscriber keys never leave a PKCS#12 encrypted with the subscriber's passphrase (PBES2,
AES-256, PBKDF2-SHA256): the server alone cannot sign. The CA also runs the time-stamping
authority whose RFC 3161 tokens make signatures PAdES B-LT (``timestamp``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gerbang_sidecar.domain.certificates.profiles import Profile, Subject
from gerbang_sidecar.domain.certificates.service_keys import ServiceKey


@dataclass(frozen=True)
class IssuedCertificate:
    serial_number: int
    certificate: bytes  # DER
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True)
class RenewedServiceKey:
    """A new key and certificate of the OCSP responder or the TSA (X6, X7)."""

    service: ServiceKey
    serial_number: int
    not_after: datetime


class ServiceKeyRenewal(Protocol):
    def renew_service_keys(self, *, now: datetime) -> list[RenewedServiceKey]:
        """Give the responder and the TSA a new key and certificate where
        domain/certificates/service_keys.py says it is time; what was renewed."""
        ...


@dataclass(frozen=True)
class Revocation:
    serial_number: int
    revoked_at: datetime
    reason: str  # an RFC 5280 reason name: key_compromise, superseded, cessation_of_operation…


class CertificateAuthority(Protocol):
    def issue(self, public_key: bytes, subject: Subject, profile: Profile, *,
              now: datetime) -> IssuedCertificate:
        """A certificate for ``public_key`` (SubjectPublicKeyInfo, DER)."""
        ...

    def chain(self) -> list[bytes]:
        """The issuing CA's certificate, then the root's (DER)."""
        ...

    def crl(self, revoked: Sequence[Revocation], *, number: int, now: datetime,
            next_update: datetime) -> bytes:
        """The issuing CA's CRL (DER)."""
        ...

    def ocsp(self, request: bytes, status_of: StatusLookup, *, now: datetime) -> bytes:
        """An OCSP response (DER) to a request (DER), RFC 6960."""
        ...

    def timestamp(self, request: bytes, *, now: datetime) -> bytes:
        """An RFC 3161 TimeStampResp (DER) to a TimeStampReq (DER), stamped ``now``."""
        ...


Issue = Callable[[bytes], IssuedCertificate]
# serial number -> None (unknown) or (status, revoked_at, reason) as the store knows it.
StatusLookup = Callable[[int], "tuple[str, datetime | None, str | None] | None"]


@dataclass(frozen=True)
class KeyStore:
    """A new subscriber key's PKCS#12 and the certificate inside it."""

    pkcs12: bytes
    certificate: IssuedCertificate


class WrongPassphrase(Exception):
    """The passphrase does not open the PKCS#12."""


class SubscriberKeys(Protocol):
    def create(self, passphrase: str, issue: Issue, chain: Sequence[bytes]) -> KeyStore:
        """Generate a key, have ``issue`` certify its public half, and seal key, certificate
        and chain under ``passphrase``; the key exists unencrypted only inside this call."""
        ...

    def reseal(self, sealed: bytes, old: str, new: str) -> bytes:
        """The same key and certificates under ``new`` (B22); WrongPassphrase for ``old``."""
        ...
