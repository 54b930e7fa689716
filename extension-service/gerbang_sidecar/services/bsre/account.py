"""The BSrE user's own pages (B12 "Profil", B23 "Aktivitas" and "Keamanan"): what the
profile shows, the activity list, the OTP devices with removal and room for a new one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from gerbang_sidecar.domain.bsre.accounts import ROLE_RA, ROLE_VERIFIKATOR
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers, OtpDevice
from gerbang_sidecar.ports.storage import Store
from gerbang_sidecar.services.bsre.otp_devices import OUTBOX_DEVICE_REMOVED, OtpDeviceCap

ACTIVITY_PAGE = 20
ACTIVITY_DEPTH = 200  # the newest entries "Aktivitas" pages through
# Audit events that mean "a link was mailed to the user" (B12 "Tautan terakhir yang diajukan").
LINK_EVENTS = ("bsre.registration.activation_email_sent", "bsre.otp_link.sent",
               "bsre.identity_check.sent")
VERIFIED_LABELS = {"terverifikasi": "VERIFIED", "menunggu": "PENDING", "ditolak": "REJECTED"}


@dataclass(frozen=True)
class Profile:
    name: str
    email: str
    email_verified: bool
    attributes: dict[str, str]
    account_type: str  # "PENGGUNA", "VERIFIKATOR", "RA"
    verification: str  # "VERIFIED", ...
    last_link_at: datetime | None

    def at(self, attribute: str) -> datetime | None:
        raw = self.attributes.get(attribute)
        try:
            return datetime.fromisoformat(raw) if raw else None
        except ValueError:
            return None


@dataclass(frozen=True)
class Activity:
    at: datetime
    what: str  # a Keycloak event type or an audit event type
    source: str  # "keycloak" or "gerbang"
    detail: str = ""  # Keycloak's error code of a failed event


@dataclass(frozen=True)
class ActivityPage:
    items: list[Activity]
    page: int
    more: bool


@dataclass(frozen=True)
class LastDevice:
    """The only device left cannot be removed here (the Helpdesk path is for that)."""


class BsreAccount:
    def __init__(self, store: Store, keycloak: KeycloakUsers, devices: OtpDeviceCap,
                 clock: Clock, realm: str = "bsre") -> None:
        self._store = store
        self._keycloak = keycloak
        self._devices = devices
        self._clock = clock
        self.realm = realm

    def profile(self, user_id: str, roles: tuple[str, ...]) -> Profile | None:
        user = self._keycloak.get_user(self.realm, user_id)
        if user is None:
            return None
        with self._store.transaction() as tx:
            links = [e.occurred_at for e in tx.audit.of_subject(user_id)
                     if e.event_type in LINK_EVENTS]
        kind = "RA" if ROLE_RA in roles else "VERIFIKATOR" if ROLE_VERIFIKATOR in roles \
            else "PENGGUNA"
        status = user.attributes.get("verificationStatus", "")
        return Profile(user.first_name, user.email or "", user.email_verified,
                       dict(user.attributes), kind, VERIFIED_LABELS.get(status, status.upper()),
                       max(links) if links else None)

    def activity(self, user_id: str, page: int) -> ActivityPage:
        events = self._keycloak.user_events(self.realm, user_id, limit=ACTIVITY_DEPTH)
        items = [Activity(datetime.fromtimestamp(e.time_ms / 1000, UTC), e.type, "keycloak",
                          e.error) for e in events]
        with self._store.transaction() as tx:
            items += [Activity(e.occurred_at, e.event_type, "gerbang")
                      for e in tx.audit.of_subject(user_id) if e.realm == self.realm]
        items.sort(key=lambda a: a.at, reverse=True)
        items = items[:ACTIVITY_DEPTH]
        page = max(1, page)
        start = (page - 1) * ACTIVITY_PAGE
        return ActivityPage(items[start:start + ACTIVITY_PAGE], page,
                            len(items) > start + ACTIVITY_PAGE)

    def devices(self, user_id: str) -> list[OtpDevice]:
        return self._devices.devices(user_id)

    def remove_device(self, user_id: str, device_id: str) -> OtpDevice | LastDevice | None:
        """None: no such device of this user. One removal per user at a time, from reading
        the devices to removing one: two at once both saw two devices and left none."""
        with self._store.transaction() as tx:
            tx.sync_marks.hold(f"otp-devices:{self.realm}:{user_id}")
            devices = self._devices.devices(user_id)
            doomed = next((d for d in devices if d.id == device_id), None)
            if doomed is None:
                return None
            if len(devices) == 1:
                return LastDevice()
            self._keycloak.remove_credential(self.realm, user_id, device_id)
            now = self._clock()
            tx.audit.record(realm=self.realm, event_type="bsre.otp_device.removed",
                            occurred_at=now, actor=user_id, subject_id=user_id,
                            details={"label": doomed.label, "reason": "by_owner",
                                     "added_ms": doomed.created_ms})
            tx.outbox.enqueue(
                kind=OUTBOX_DEVICE_REMOVED, now=now,
                idempotency_key=f"bsre_otp_removed:{user_id}:{doomed.id}",
                payload={"realm": self.realm, "user_id": user_id, "reason": "by_owner",
                         "devices": [{"label": doomed.label, "added_ms": doomed.created_ms}]})
        return doomed
