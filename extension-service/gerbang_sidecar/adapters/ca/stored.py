"""The certificate authority whose hierarchy lives in the sidecar's database (one row, made
by ``python -m gerbang_sidecar ca-init``), loaded on first use -- nothing is read at import
or when the app is built.

A hierarchy made before the time-stamping authority existed (migration 0015) gets one from
``ca-init`` or, if nobody ran it, on its first timestamp: a deployment that skipped the step
still signs B-LT instead of failing.

The responder and the TSA get new keys when domain/certificates/service_keys.py says so
(``renew_service_keys``: the outbox process's chore and ``ca-init``). Every process reads the
row again after RELOAD_SECONDS, so the OCSP process signs with the new responder within the
hour -- long before the old certificate, still valid for RENEW_BEFORE, lapses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from cryptography import x509

from gerbang_sidecar.adapters.ca.hierarchy import (
    CaMaterial,
    LocalCertificateAuthority,
    create_hierarchy,
    with_timestamping,
)
from gerbang_sidecar.domain.certificates.profiles import Profile, Subject
from gerbang_sidecar.domain.certificates.service_keys import ServiceKey, renewal_due
from gerbang_sidecar.ports.ca import (
    IssuedCertificate,
    RenewedServiceKey,
    Revocation,
    StatusLookup,
)
from gerbang_sidecar.ports.storage import CertificateAuthorityRow, StorageError, Store

RELOAD_SECONDS = 3600.0
RETRY_SECONDS = 60.0


class AuthorityMissing(RuntimeError):
    """No hierarchy in this environment yet: run ``python -m gerbang_sidecar ca-init``."""


def _material(row: CertificateAuthorityRow) -> CaMaterial:
    return CaMaterial(bytes(row.root_certificate), bytes(row.root_key),
                      bytes(row.issuing_certificate), bytes(row.issuing_key),
                      bytes(row.responder_certificate), bytes(row.responder_key),
                      None if row.tsa_certificate is None else bytes(row.tsa_certificate),
                      None if row.tsa_key is None else bytes(row.tsa_key))


class StoredCertificateAuthority:
    def __init__(self, store: Store, kek: bytes, publication_url: str,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._kek = kek
        self._url = publication_url
        self._monotonic = monotonic
        self._loaded: LocalCertificateAuthority | None = None
        self._reload_at = 0.0
        self._lock = threading.Lock()

    def ensure(self, *, now: datetime) -> bool:
        """Create the hierarchy (with its TSA) if the environment has none, or add the TSA
        to one made before it existed; True when anything was made."""
        with self._store.transaction() as tx:
            row = tx.certificates.authority()
            existing = None if row is None else _material(row)
        if existing is not None:
            return self._add_timestamping(existing, now=now)
        material = with_timestamping(create_hierarchy(self._kek, now=now), self._kek,
                                     self._url, now=now)
        with self._store.transaction() as tx:
            if tx.certificates.authority() is not None:
                return False  # another process made it a moment ago
            tx.certificates.add_authority(
                root_certificate=material.root_certificate, root_key=material.root_key,
                issuing_certificate=material.issuing_certificate,
                issuing_key=material.issuing_key,
                responder_certificate=material.responder_certificate,
                responder_key=material.responder_key, tsa_certificate=material.tsa_certificate,
                tsa_key=material.tsa_key, now=now)
        return True

    def _add_timestamping(self, material: CaMaterial, *, now: datetime) -> bool:
        if material.tsa_certificate is not None:
            return False
        completed = with_timestamping(material, self._kek, self._url, now=now)
        assert completed.tsa_certificate is not None and completed.tsa_key is not None
        with self._store.transaction() as tx:
            added = tx.certificates.add_timestamping(
                tsa_certificate=completed.tsa_certificate, tsa_key=completed.tsa_key)
        self._forget()
        return added

    def renew_service_keys(self, *, now: datetime) -> list[RenewedServiceKey]:
        with self._store.transaction() as tx:
            row = tx.certificates.authority()
            material = None if row is None else _material(row)
        if material is None:
            return []  # nothing to renew before ca-init
        ca = LocalCertificateAuthority(material, self._kek, self._url)
        renewed = []
        for service, current in ((ServiceKey.OCSP_RESPONDER, material.responder_certificate),
                                 (ServiceKey.TIMESTAMPING, material.tsa_certificate)):
            if current is None:
                continue  # ensure() adds a missing TSA
            old = x509.load_pem_x509_certificate(current)
            if not renewal_due(old.not_valid_before_utc, old.not_valid_after_utc, now):
                continue
            certificate, key = ca.recertify(service, now=now)
            with self._store.transaction() as tx:
                won = tx.certificates.replace_service_key(
                    service, old_certificate=current, certificate=certificate, key=key)
            if won:
                new = x509.load_pem_x509_certificate(certificate)
                renewed.append(RenewedServiceKey(service, new.serial_number,
                                                 new.not_valid_after_utc))
        if renewed:
            self._forget()
        return renewed

    def _forget(self) -> None:
        """Reload on next use: the row has a TSA now (ours or a concurrent winner's)."""
        with self._lock:
            self._loaded = None

    def _ca(self) -> LocalCertificateAuthority:
        with self._lock:
            if self._loaded is not None and self._monotonic() < self._reload_at:
                return self._loaded
            try:
                with self._store.transaction() as tx:
                    row = tx.certificates.authority()
                    if row is None:
                        raise AuthorityMissing("run python -m gerbang_sidecar ca-init")
                    material = _material(row)
            except StorageError:
                if self._loaded is None:
                    raise
                # The database is away: keep signing with what this process holds.
                self._reload_at = self._monotonic() + RETRY_SECONDS
                return self._loaded
            self._loaded = LocalCertificateAuthority(material, self._kek, self._url)
            self._reload_at = self._monotonic() + RELOAD_SECONDS
            return self._loaded

    def is_usable(self) -> bool:
        """The OCSP process's readiness: made (ca-init) and its keys open with this KEK. A
        wrong KEK left it ready while every answer was an internalError (a review)."""
        try:
            self._ca()
        except (AuthorityMissing, ValueError, TypeError):
            return False
        return True

    def issue(self, public_key: bytes, subject: Subject, profile: Profile, *,
              now: datetime) -> IssuedCertificate:
        return self._ca().issue(public_key, subject, profile, now=now)

    def chain(self) -> list[bytes]:
        return self._ca().chain()

    def crl(self, revoked: Sequence[Revocation], *, number: int, now: datetime,
            next_update: datetime) -> bytes:
        return self._ca().crl(revoked, number=number, now=now, next_update=next_update)

    def ocsp(self, request: bytes, status_of: StatusLookup, *, now: datetime) -> bytes:
        return self._ca().ocsp(request, status_of, now=now)

    def timestamp(self, request: bytes, *, now: datetime) -> bytes:
        ca = self._ca()
        if not ca.has_timestamping:
            self.ensure(now=now)
            self._forget()
            ca = self._ca()
        return ca.timestamp(request, now=now)
