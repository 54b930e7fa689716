"""What the certificate benchmarks (issue 12 item 13) share: a sidecar CA in a throw-away
SQLite database, and the bare ``cryptography`` objects their baselines start from.

The database is made by the sidecar's own migrations in a temporary folder; the CA hierarchy
by ``StoredCertificateAuthority.ensure`` (what ``python -m gerbang_sidecar ca-init`` runs),
its keys encrypted under a KEK generated here for this run. The services are built by the
composition root (``build_services``) with the in-memory twins of Keycloak, the registries
and the mail relay: nothing the certificate paths need is outside this process.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import insert, update

from gerbang_sidecar.adapters.ca.keys import RsaSubscriberKeys
from gerbang_sidecar.adapters.storage.certificates import REVOCATIONS
from gerbang_sidecar.adapters.storage.models import IssuedCertificateRecord, SyncMark
from gerbang_sidecar.config import load_settings
from gerbang_sidecar.domain.certificates.profiles import (
    Product,
    Subject,
    person_subject,
    profile_for,
)
from gerbang_sidecar.migrations import upgrade
from gerbang_sidecar.ports.ca import KeyStore
from gerbang_sidecar.services.certificates.issuance import ENROLL_METHOD
from gerbang_sidecar.wiring import Services, build_services

PASSPHRASE = "Rahasia#2025x"  # a subscriber's passphrase of the benchmark, not a secret
REALM = "bsre"
INSTANSI = "Badan Siber dan Sandi Negara"
PUBLIC_URL = "https://gerbang.bench.test"  # what the certificates name (AIA, CRL DP)


@dataclass(frozen=True)
class BareCa:
    """The hierarchy as plain ``cryptography`` objects, decrypted once: what a baseline
    that calls the library directly would hold in memory."""

    root: x509.Certificate
    issuing: x509.Certificate
    issuing_key: rsa.RSAPrivateKey
    responder: x509.Certificate
    responder_key: rsa.RSAPrivateKey
    # The time-stamping authority, when the sidecar's hierarchy has one (migration 0015).
    tsa: x509.Certificate | None = None
    tsa_key: rsa.RSAPrivateKey | None = None


@dataclass
class CaFixture:
    folder: Path
    environment: dict[str, str]  # the sidecar's settings as environment variables
    services: Services

    def bare(self) -> BareCa:
        with self.services.storage.transaction() as tx:
            row = tx.certificates.authority()
        assert row is not None
        kek = self.environment["GERBANG_CA_KEK"].encode("utf-8")
        tsa, tsa_key = getattr(row, "tsa_certificate", None), getattr(row, "tsa_key", None)
        return BareCa(
            root=x509.load_pem_x509_certificate(bytes(row.root_certificate)),
            issuing=x509.load_pem_x509_certificate(bytes(row.issuing_certificate)),
            issuing_key=_rsa_key(bytes(row.issuing_key), kek),
            responder=x509.load_pem_x509_certificate(bytes(row.responder_certificate)),
            responder_key=_rsa_key(bytes(row.responder_key), kek),
            tsa=None if tsa is None else x509.load_pem_x509_certificate(bytes(tsa)),
            tsa_key=None if tsa_key is None else _rsa_key(bytes(tsa_key), kek))


def _rsa_key(pem: bytes, kek: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=kek)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("the CA's keys are RSA keys")
    return key


def sidecar_environment(folder: Path, database_url: str | None = None) -> dict[str, str]:
    """Production's variables for a sidecar on ``database_url`` (default: a fresh SQLite
    file in ``folder``): keys made for this run (never stored in the repository), outside
    systems replaced by the in-memory twins, logging quiet (a line per request would be
    timed too)."""
    return {
        "GERBANG_ENV": "production", "GERBANG_INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'sidecar.sqlite3'}",
        **{name: secrets.token_urlsafe(32) for name in
           ("GERBANG_SECRET_KEY", "GERBANG_PII_KEY", "GERBANG_BLIND_INDEX_KEY",
            "GERBANG_CA_KEK")},
        "SIDECAR_PUBLIC_URL": PUBLIC_URL, "KEYCLOAK_BACKEND": "fake",
        "REGISTRY_BACKEND": "fake", "MAIL_BACKEND": "null", "LOG_LEVEL": "WARNING",
    }


@contextmanager
def sidecar_ca(prefix: str, database_url: str | None = None) -> Iterator[CaFixture]:
    """A migrated database (SQLite in a temporary folder unless ``database_url`` names an
    empty one) with this run's CA; the folder is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=f"gerbang-bench-{prefix}-") as name:
        folder = Path(name)
        environment = sidecar_environment(folder, database_url)
        upgrade(environment["DATABASE_URL"])
        services = build_services(load_settings(environment))
        try:
            services.certificate_authority.ensure(now=services.clock())
            yield CaFixture(folder, environment, services)
        finally:
            services.close()


def bench_subject(index: int) -> Subject:
    """A person's subject as issuance builds it; the NIK only has to be distinct."""
    return person_subject(f"Pengguna Bench {index}", INSTANSI, f"3174{index:012d}")


def issue_sealed(services: Services, subject: Subject, *, now: datetime) -> KeyStore:
    """A new key, its certificate and the PKCS#12 under PASSPHRASE, as issuance makes them
    (``CertificateIssuance.issue``'s call, without the link and the selfie around it)."""
    ca = services.certificate_authority
    profile = profile_for(Product.ESIGN)
    return RsaSubscriberKeys().create(
        PASSPHRASE, lambda public: ca.issue(public, subject, profile, now=now), ca.chain())


def store_certificate(services: Services, sealed: KeyStore, *, user_id: str,
                      now: datetime) -> int:
    """The row issuance writes for a new certificate; returns its id."""
    with services.storage.transaction() as tx:
        row = tx.certificates.add_certificate(
            realm=REALM, user_id=user_id,
            serial_number=f"{sealed.certificate.serial_number:X}", product="esign",
            status="issued", enroll_method=ENROLL_METHOD, note="",
            not_before=sealed.certificate.not_before, not_after=sealed.certificate.not_after,
            certificate=sealed.certificate.certificate, pkcs12=sealed.pkcs12, created_at=now)
        return int(row.id)


@dataclass(frozen=True)
class RevokedRow:
    serial_number: int
    revoked_at: datetime
    reason: str


def insert_revoked(services: Services, rows: list[RevokedRow], sealed: KeyStore, *,
                   now: datetime, chunk: int = 5_000) -> None:
    """Many revoked certificates at once, each row as issuance and revocation leave it.

    Every row carries the same certificate and PKCS#12 bytes (a real, full-size pair, each
    encrypted at rest like any other row): making 100,000 keys would take hours, and only
    the serial number, time and reason go into a CRL -- but reading a row decrypts both
    blobs, so their size must be the real one.
    """
    table = IssuedCertificateRecord.__table__
    certificate = sealed.certificate
    for start in range(0, len(rows), chunk):
        values = [{
            "realm": REALM, "user_id": f"revoked-{n}", "serial_number": f"{r.serial_number:X}",
            "product": "esign", "status": "revoked",
            "enroll_method": ENROLL_METHOD, "note": "", "not_before": certificate.not_before,
            "not_after": certificate.not_after, "certificate_encrypted": certificate.certificate,
            "pkcs12_encrypted": sealed.pkcs12, "created_at": now, "revoked_at": r.revoked_at,
            "revocation_reason": r.reason, "failed_passphrases": 0}
            for n, r in enumerate(rows[start:start + chunk], start)]
        with services.storage.engine.begin() as connection:
            connection.execute(insert(table), values)
            # As a revocation does: the CRL's and the OCSP responder's mark moves.
            connection.execute(update(SyncMark).where(SyncMark.name == REVOCATIONS)
                               .values(value=SyncMark.value + len(values)))
