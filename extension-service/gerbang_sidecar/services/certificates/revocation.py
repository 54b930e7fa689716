"""B19, X6: the holder or a Verifikator of the holder's instansi revokes an Issued
certificate with an RFC 5280 reason; it becomes "Revoke", the CRL (built on request from the
revoked certificates) names it from then on, the holder is mailed, the audit trail records
it (X4). Revoked certificates cannot be renewed (B21)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.metrics import NO_METRICS, Metrics
from gerbang_sidecar.ports.storage import StorageError, Store
from gerbang_sidecar.services.bsre.invitations import BsreSettings
from gerbang_sidecar.services.bsre.officers import Officer
from gerbang_sidecar.services.results import TemporaryProblem

OUTBOX_REVOKED = "bsre.certificate_revoked"
# What a subscriber may choose (RFC 5280 5.3.1); certificateHold is not offered: a revocation
# here is final.
REASONS = ("key_compromise", "affiliation_changed", "superseded", "cessation_of_operation",
           "unspecified")


@dataclass(frozen=True)
class Revoked:
    serial_number: str


@dataclass(frozen=True)
class NotRevocable:
    """Not the actor's certificate (or instansi), not Issued, or an unknown reason."""


class CertificateRevocation:
    def __init__(self, store: Store, keycloak: KeycloakUsers, clock: Clock,
                 settings: BsreSettings, *, metrics: Metrics = NO_METRICS) -> None:
        self._metrics = metrics
        self._store = store
        self._keycloak = keycloak
        self._clock = clock
        self.settings = settings

    def by_holder(self, user_id: str, certificate_id: int, reason: str
                  ) -> Revoked | NotRevocable | TemporaryProblem:
        return self._revoke(certificate_id, reason, actor=user_id,
                            allowed=lambda owner: owner == user_id)

    def by_officer(self, officer: Officer, certificate_id: int, reason: str
                   ) -> Revoked | NotRevocable | TemporaryProblem:
        def allowed(owner: str) -> bool:
            user = self._keycloak.get_user(self.settings.realm, owner)
            return user is not None and officer.may_see(user.attributes.get("instansi"))
        return self._revoke(certificate_id, reason, actor=officer.user_id, allowed=allowed)

    def _revoke(self, certificate_id: int, reason: str, *, actor: str,
                allowed: Callable[[str], bool]) -> Revoked | NotRevocable | TemporaryProblem:
        if reason not in REASONS:
            return NotRevocable()
        with self._store.transaction() as tx:
            row = tx.certificates.certificate(certificate_id)
        if row is None or row.status != "issued" or not allowed(row.user_id):
            return NotRevocable()
        now = self._clock()
        realm = self.settings.realm
        try:
            with self._store.transaction() as tx:
                if not tx.certificates.set_status(certificate_id, status="revoked",
                                                  expected="issued", revoked_at=now,
                                                  reason=reason):
                    return NotRevocable()
                tx.certificates.add_request(
                    realm=realm, user_id=row.user_id, kind="revoke", product=row.product,
                    verification="Approved", enrollment="Success", detail=reason,
                    token_hash=None, link_expires_at=None, certificate_id=certificate_id,
                    created_at=now)
                tx.audit.record(realm=realm, occurred_at=now, actor=actor,
                                subject_id=row.user_id, event_type="bsre.certificate.revoked",
                                details={"serial_number": row.serial_number,
                                         "reason": reason})
                tx.outbox.enqueue(
                    kind=OUTBOX_REVOKED, now=now,
                    idempotency_key=f"bsre_certificate_revoked:{row.serial_number}",
                    payload={"realm": realm, "user_id": row.user_id,
                             "serial_number": row.serial_number, "reason": reason})
        except StorageError:
            return TemporaryProblem()
        self._metrics.certificate_operation("revoked")
        return Revoked(row.serial_number)
