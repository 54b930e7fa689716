"""The certificate authority whose hierarchy lives in the sidecar's database (one row, made
by ``python -m gerbang_sidecar ca-init``), loaded on first use -- nothing is read at import
or when the app is built."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from gerbang_sidecar.adapters.ca.hierarchy import (
    CaMaterial,
    LocalCertificateAuthority,
    create_hierarchy,
)
from gerbang_sidecar.domain.certificates.profiles import Profile, Subject
from gerbang_sidecar.ports.ca import IssuedCertificate, Revocation, StatusLookup
from gerbang_sidecar.ports.storage import Store


class AuthorityMissing(RuntimeError):
    """No hierarchy in this environment yet: run ``python -m gerbang_sidecar ca-init``."""


class StoredCertificateAuthority:
    def __init__(self, store: Store, kek: bytes, publication_url: str) -> None:
        self._store = store
        self._kek = kek
        self._url = publication_url
        self._loaded: LocalCertificateAuthority | None = None
        self._lock = threading.Lock()

    def ensure(self, *, now: datetime) -> bool:
        """Create the hierarchy if the environment has none; True when it was created."""
        with self._store.transaction() as tx:
            if tx.certificates.authority() is not None:
                return False
        material = create_hierarchy(self._kek, now=now)
        with self._store.transaction() as tx:
            if tx.certificates.authority() is not None:
                return False  # another process made it a moment ago
            tx.certificates.add_authority(
                root_certificate=material.root_certificate, root_key=material.root_key,
                issuing_certificate=material.issuing_certificate,
                issuing_key=material.issuing_key,
                responder_certificate=material.responder_certificate,
                responder_key=material.responder_key, now=now)
        return True

    def _ca(self) -> LocalCertificateAuthority:
        with self._lock:
            if self._loaded is None:
                with self._store.transaction() as tx:
                    row = tx.certificates.authority()
                    if row is None:
                        raise AuthorityMissing("run python -m gerbang_sidecar ca-init")
                    material = CaMaterial(bytes(row.root_certificate), bytes(row.root_key),
                                          bytes(row.issuing_certificate),
                                          bytes(row.issuing_key),
                                          bytes(row.responder_certificate),
                                          bytes(row.responder_key))
                self._loaded = LocalCertificateAuthority(material, self._kek, self._url)
            return self._loaded

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
