"""B9 and B7 for OTP devices, on every path a device can be added.

``OtpDeviceCap.enforce`` removes the oldest devices beyond three (or beyond what leaves room
for one more, before the "Konfigurasi OTP" link of the Helpdesk path), records each removal
in the audit trail (X4) and mails the owner which device went and why.

``OtpDeviceReconciler`` is the outbox process's chore for devices added any other way --
Keycloak's own CONFIGURE_TOTP required action, the account console, the admin console or the
Admin API: it reads Keycloak's credential events (user events and admin events on users)
since its last run and enforces the cap for each user named. Admin changes to a user's
credentials also get the owner a notice, because Keycloak's own email listener mails only
what the user did (B7). Events recorded while no process ran are not read afterwards: the
next change of that user brings the cap back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from gerbang_sidecar.domain.bsre.otp_devices import beyond_cap
from gerbang_sidecar.ports.clock import Clock, to_ms
from gerbang_sidecar.ports.keycloak import (
    CredentialChange,
    KeycloakError,
    KeycloakUsers,
    OtpDevice,
)
from gerbang_sidecar.ports.storage import Store

log = logging.getLogger(__name__)

OUTBOX_DEVICE_REMOVED = "bsre.otp_device_removed"
OUTBOX_CHANGED_BY_ADMIN = "bsre.credentials_changed_by_admin"


class OtpDeviceCap:
    def __init__(self, store: Store, keycloak: KeycloakUsers, clock: Clock,
                 realm: str = "bsre") -> None:
        self._store = store
        self._keycloak = keycloak
        self._clock = clock
        self.realm = realm

    def devices(self, user_id: str) -> list[OtpDevice]:
        return self._keycloak.otp_devices(self.realm, user_id)

    def enforce(self, user_id: str, *, room_for: int = 0,
                reason: str = "cap") -> list[OtpDevice]:
        """Remove what exceeds the cap; returns the devices removed. Keycloak down raises."""
        doomed = beyond_cap(self._keycloak.otp_devices(self.realm, user_id),
                            lambda d: d.created_ms, room_for=room_for)
        for device in doomed:
            self._keycloak.remove_credential(self.realm, user_id, device.id)
        if doomed:
            now = self._clock()
            with self._store.transaction() as tx:
                for device in doomed:
                    tx.audit.record(realm=self.realm, event_type="bsre.otp_device.removed",
                                    occurred_at=now, subject_id=user_id,
                                    details={"label": device.label, "reason": reason,
                                             "added_ms": device.created_ms})
                tx.outbox.enqueue(
                    kind=OUTBOX_DEVICE_REMOVED, now=now,
                    idempotency_key=f"bsre_otp_removed:{user_id}:{doomed[-1].id}",
                    payload={"realm": self.realm, "user_id": user_id, "reason": reason,
                             "devices": [{"label": d.label, "added_ms": d.created_ms}
                                         for d in doomed]})
            log.info("bsre user's oldest OTP device(s) removed: %s (%s)", len(doomed), reason)
        return doomed


class OtpDeviceReconciler:
    def __init__(self, store: Store, keycloak: KeycloakUsers, cap: OtpDeviceCap,
                 clock: Clock) -> None:
        self._store = store
        self._keycloak = keycloak
        self._cap = cap
        self._clock = clock
        self._since = to_ms(clock())

    def run(self) -> int:
        """One pass; returns the devices removed."""
        realm = self._cap.realm
        try:
            changes = self._keycloak.credential_changes(realm, since_ms=self._since)
        except KeycloakError as exc:
            log.warning("credential events of %s not read (%s)", realm, type(exc).__name__)
            return 0
        if not changes:
            return 0
        self._since = max(c.time_ms for c in changes)
        removed = 0
        for user_id in _unique(c.user_id for c in changes):
            try:
                removed += len(self._cap.enforce(user_id, reason="reconciler"))
            except KeycloakError as exc:
                log.warning("OTP cap not enforced now (%s); the next change retries",
                            type(exc).__name__)
        # Keycloak is asked before the transaction: no database lock waits on it.
        told = [c for c in changes if c.by_admin and (
            c.kind in ("credential", "password") or self._device_added_by(c))]
        now = self._clock()
        with self._store.transaction() as tx:
            for change in told:
                tx.outbox.enqueue(
                        kind=OUTBOX_CHANGED_BY_ADMIN, now=now,
                        idempotency_key=f"bsre_admin_change:{change.user_id}:{change.time_ms}",
                        payload={"realm": realm, "user_id": change.user_id,
                                 "what": _told_what(change), "at_ms": change.time_ms})
        return removed

    def _device_added_by(self, change: CredentialChange) -> bool:
        """B7: did this admin update of the user add an OTP device?"""
        if change.kind != "user":
            return False
        try:
            devices = self._keycloak.otp_devices(self._cap.realm, change.user_id)
        except KeycloakError:
            return False
        return any(abs(d.created_ms - change.time_ms) <= ADMIN_DEVICE_WINDOW_MS
                   for d in devices)


# An administrator's update of a user that stored an OTP device shows only as "user updated";
# a device created this close to the event is taken to be that update's.
ADMIN_DEVICE_WINDOW_MS = 5000


def _told_what(change: CredentialChange) -> str:
    """What the notice names: an update of the user is told only when it stored a device."""
    return "otp_device" if change.kind == "user" else change.kind


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
