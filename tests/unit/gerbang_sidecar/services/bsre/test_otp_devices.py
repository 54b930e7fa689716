"""B9, B7, X4: at most three OTP devices, the oldest removed first, whichever way the fourth
came; the owner is mailed which device went; administrators' changes are told too."""

from __future__ import annotations

from sqlalchemy import select

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.mail import FakeMailer
from gerbang_sidecar.adapters.registries.message_gateway import FakeMessageGateway
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.adapters.storage.models import AuditEvent
from gerbang_sidecar.domain.bsre.otp_devices import beyond_cap
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.services.bsre.otp_devices import (
    OUTBOX_CHANGED_BY_ADMIN,
    OUTBOX_DEVICE_REMOVED,
    OtpDeviceCap,
    OtpDeviceReconciler,
)
from gerbang_sidecar.services.notifications import Notifications
from gerbang_sidecar.services.outbox_worker import OutboxWorker
from support.clock import FakeClock

T0 = 1_740_816_000_000  # 2025-03-01 08:00 UTC, the FakeClock's start, in ms


def _user(keycloak: FakeKeycloakUsers) -> str:
    return keycloak.create_user("bsre", NewUser(
        username="asn@example.go.id", email="asn@example.go.id", first_name="Asn"))


def _deliver(storage: Storage, clock: FakeClock, keycloak: FakeKeycloakUsers) -> FakeMailer:
    mailer = FakeMailer()
    notifications = Notifications(mailer, FakeMessageGateway(), keycloak, clock)
    worker = OutboxWorker(storage, clock)
    worker.register(OUTBOX_DEVICE_REMOVED, notifications.bsre_otp_device_removed)
    worker.register(OUTBOX_CHANGED_BY_ADMIN, notifications.bsre_credentials_changed_by_admin)
    while worker.run_once().handled:
        pass
    return mailer


def test_b9_the_rule_keeps_the_three_newest_and_makes_room_for_one() -> None:
    added = [30, 10, 40, 20]
    assert beyond_cap(added, lambda t: t) == [10]
    assert beyond_cap(added, lambda t: t, room_for=1) == [10, 20]
    assert beyond_cap([5, 6], lambda t: t) == []


def test_b9_a_fourth_device_from_anywhere_leaves_three_the_oldest_gone(
        storage: Storage, clock: FakeClock) -> None:
    keycloak = FakeKeycloakUsers()
    user_id = _user(keycloak)
    cap = OtpDeviceCap(storage, keycloak, clock)
    reconciler = OtpDeviceReconciler(storage, keycloak, cap, clock)
    for n, label in enumerate(("HP Lama", "HP Kantor", "Tablet")):
        keycloak.add_otp_device("bsre", user_id, label, T0 + 1000 * (n + 1))
    assert reconciler.run() == 0
    keycloak.add_otp_device("bsre", user_id, "HP Baru", T0 + 9000, by_admin=True)
    assert reconciler.run() == 1
    assert [d.label for d in keycloak.otp_devices("bsre", user_id)] == [
        "HP Kantor", "Tablet", "HP Baru"]
    with storage.session_factory() as s:
        removed = s.scalars(select(AuditEvent).where(
            AuditEvent.event_type == "bsre.otp_device.removed")).one()
        assert removed.details["label"] == "HP Lama"
    mails = _deliver(storage, clock, keycloak).to("asn@example.go.id")
    # The removal, and (the fourth came from an administrator) the admin-change notice.
    removal = [m for m in mails if m.subject == "Perangkat OTP BSrE AMS dihapus"]
    assert len(mails) == 2 and len(removal) == 1 and "HP Lama" in removal[0].text
    assert "Sabtu, 1 Maret 2025 pukul 15.00 WIB" in removal[0].text
    assert "Jika Anda tidak menambahkan perangkat baru" in removal[0].text


def test_b9_the_helpdesk_path_makes_room_before_the_new_device(
        storage: Storage, clock: FakeClock) -> None:
    keycloak = FakeKeycloakUsers()
    user_id = _user(keycloak)
    for n in range(3):
        keycloak.add_otp_device("bsre", user_id, f"HP {n}", T0 + n)
    removed = OtpDeviceCap(storage, keycloak, clock).enforce(
        user_id, room_for=1, reason="permohonan_otp")
    assert [d.label for d in removed] == ["HP 0"]
    assert len(keycloak.otp_devices("bsre", user_id)) == 2


def test_b7_an_administrators_password_reset_is_told_to_the_owner(
        storage: Storage, clock: FakeClock) -> None:
    keycloak = FakeKeycloakUsers()
    user_id = _user(keycloak)
    reconciler = OtpDeviceReconciler(storage, keycloak, OtpDeviceCap(storage, keycloak, clock),
                                     clock)
    keycloak.admin_change(user_id, T0 + 5000, "password")
    keycloak.admin_change(user_id, T0 + 6000, "user")  # a profile edit: not a credential
    reconciler.run()
    mails = _deliver(storage, clock, keycloak).to("asn@example.go.id")
    assert len(mails) == 1 and "kata sandi" in mails[0].text


def test_b9_keycloak_down_is_retried_on_the_next_change(
        storage: Storage, clock: FakeClock) -> None:
    keycloak = FakeKeycloakUsers()
    user_id = _user(keycloak)
    reconciler = OtpDeviceReconciler(storage, keycloak, OtpDeviceCap(storage, keycloak, clock),
                                     clock)
    for n in range(4):
        keycloak.add_otp_device("bsre", user_id, f"HP {n}", T0 + n + 1)
    keycloak.down = True
    assert reconciler.run() == 0
    keycloak.down = False
    assert reconciler.run() == 1
    assert len(keycloak.otp_devices("bsre", user_id)) == 3


def test_b7_a_device_an_administrator_stored_by_updating_the_user_is_told(
        storage: Storage, clock: FakeClock) -> None:
    keycloak = FakeKeycloakUsers()
    user_id = _user(keycloak)
    reconciler = OtpDeviceReconciler(storage, keycloak, OtpDeviceCap(storage, keycloak, clock),
                                     clock)
    keycloak.devices[("bsre", user_id)] = []
    keycloak.add_otp_device("bsre", user_id, "HP Admin", T0 + 7000)
    keycloak.changes.pop()  # Keycloak records such a PUT as a plain update of the user:
    keycloak.admin_change(user_id, T0 + 7100, "user")
    reconciler.run()
    mails = _deliver(storage, clock, keycloak).to("asn@example.go.id")
    assert len(mails) == 1 and "Administrator" in mails[0].text
    # It named the change "mail.admin_change.user", a catalog key it lacked (a review).
    assert "perangkat OTP" in mails[0].text and "mail.admin_change" not in mails[0].text
