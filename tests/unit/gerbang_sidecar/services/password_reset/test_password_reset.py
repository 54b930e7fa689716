"""A7 / X1 / C2 / C4: the forgot-password service, its worker step and the SMS link."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.mail import FakeMailer
from gerbang_sidecar.adapters.registries.message_gateway import FakeMessageGateway
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.adapters.storage.models import OutboxMessage
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.ports.keycloak import KeycloakUnavailable, NewUser
from gerbang_sidecar.services.notifications import Notifications
from gerbang_sidecar.services.outbox_worker import OutboxWorker
from gerbang_sidecar.services.password_reset import PasswordReset
from gerbang_sidecar.services.password_reset.context import (
    OUTBOX_PASSWORD_CHANGED,
    OUTBOX_REQUESTED,
    OUTBOX_SMS_LINK,
)
from gerbang_sidecar.services.password_reset.results import (
    LinkInvalid,
    LinkValid,
    PasswordChanged,
    PasswordRefused,
    Resent,
)
from support.keycloak_fakes import CountingKeycloak
from support.seed_people import SITI_NIK as NIK
from support.seed_people import SITI_PHONE as PHONE
from support.seed_people import SITI_SID as SID


def outbox(storage: Storage) -> list[OutboxMessage]:
    with storage.session_factory() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def process_all(storage: Storage, reset: PasswordReset) -> list[str]:
    outcomes = []
    for message in outbox(storage):
        if message.kind == OUTBOX_REQUESTED and message.status == "pending":
            outcomes.append(reset.process(message.payload["request_id"]))
    return outcomes


def test_x1_request_path_does_no_keycloak_lookup(reset: PasswordReset,
                                                 counting_keycloak: CountingKeycloak, siti: str,
                                                 storage: Storage) -> None:
    reset.request("akses", NIK, "email", "id")
    reset.request("akses", "3273051707859999", "email", "id")
    reset.request("akses", "nobody@example.com", "sms", "en")
    assert counting_keycloak.calls == []
    messages = outbox(storage)
    # The same job, with only an opaque reference, whatever was typed.
    assert [m.kind for m in messages] == [OUTBOX_REQUESTED] * 3
    assert all(set(m.payload) == {"request_id"} for m in messages)


@pytest.mark.parametrize("identifier", [NIK, SID, SID.lower(), "siti@example.com",
                                        "SITI@example.com"])
def test_a7_each_identifier_kind_gets_the_update_password_email(
        identifier: str, reset: PasswordReset, fake_keycloak: FakeKeycloakUsers,
        siti: str, storage: Storage) -> None:
    reset.request("akses", identifier, "email", "id")
    assert process_all(storage, reset) == ["email_link"]
    sent = fake_keycloak.sent[-1]
    assert (sent.user_id, sent.actions, sent.client_id) == (siti, ["UPDATE_PASSWORD"],
                                                            "akses-portal")
    assert sent.redirect_uri == "https://sidecar.test/akses/beranda"
    assert sent.lifespan_seconds == 15 * 60


def test_a7_passport_and_legacy_user_id(reset: PasswordReset,
                                        fake_keycloak: FakeKeycloakUsers,
                                        storage: Storage) -> None:
    from gerbang_sidecar.ports.keycloak import NewUser

    fake_keycloak.create_user("akses", NewUser("yosye@example.com", "yosye@example.com",
                                               "Yosye", attributes={"passport": "A36637471"}))
    fake_keycloak.create_user("akses", NewUser("budi77", "budi@example.com", "Budi",
                                               attributes={"legacyUserId": "budi77"}))
    reset.request("akses", "a3663 7471", "email", "id")
    reset.request("akses", "Budi77", "email", "id")
    assert process_all(storage, reset) == ["email_link", "email_link"]


def test_x1_unknown_identifier_does_nothing(reset: PasswordReset,
                                           fake_keycloak: FakeKeycloakUsers, siti: str,
                                           storage: Storage) -> None:
    reset.request("akses", "3273051707859999", "email", "id")
    reset.request("akses", "IDD999999999999", "sms", "id")
    assert process_all(storage, reset) == ["no_account", "no_account"]
    assert fake_keycloak.sent == []


def test_a7_sms_without_verified_phone_falls_back_to_email(
        reset: PasswordReset, fake_keycloak: FakeKeycloakUsers, siti: str,
        storage: Storage) -> None:
    reset.request("akses", NIK, "sms", "id")
    assert process_all(storage, reset) == ["email_link"]
    assert OUTBOX_SMS_LINK not in [m.kind for m in outbox(storage)]


def _verify_phone(fake_keycloak: FakeKeycloakUsers, user_id: str) -> None:
    fake_keycloak.update_user("akses", user_id, attributes={"phoneNumberVerified": "true"})


def _sms_token(storage: Storage) -> str:
    message = next(m for m in outbox(storage) if m.kind == OUTBOX_SMS_LINK)
    assert message.payload["to"] == PHONE
    return message.payload["url"].rsplit("/", 1)[1]


def test_a7_sms_link_is_single_use_and_notifies(reset: PasswordReset,
                                                fake_keycloak: FakeKeycloakUsers, siti: str,
                                                storage: Storage) -> None:
    _verify_phone(fake_keycloak, siti)
    reset.request("akses", SID, "sms", "id")
    assert process_all(storage, reset) == ["sms_link"]
    token = _sms_token(storage)
    assert isinstance(reset.open_link("akses", token), LinkValid)
    # Another portal's page is not this link's (an AKSes password set on an OSS page).
    assert isinstance(reset.open_link("oss", token), LinkInvalid)
    assert isinstance(reset.set_password("oss", token, "Baru#Sandi2025"), LinkInvalid)
    # Keycloak's policy refuses: the link stays usable, with the policy's reason.
    assert reset.set_password("akses", token, "pendek") == PasswordRefused(
        "invalidPasswordMinLengthMessage")
    assert reset.set_password("akses", token, "Baru#Sandi2025") == PasswordChanged()
    assert fake_keycloak.passwords[("akses", siti)] == "Baru#Sandi2025"
    # Whoever knew the old password is logged out everywhere.
    assert fake_keycloak.sessions_ended == [("akses", siti)]
    assert isinstance(reset.set_password("akses", token, "Lain#Sandi2025"), LinkInvalid)
    assert isinstance(reset.open_link("akses", token), LinkInvalid)
    notice = [m for m in outbox(storage) if m.kind == OUTBOX_PASSWORD_CHANGED]
    assert [m.payload["user_id"] for m in notice] == [siti]


def test_a7_sms_link_expires_after_15_minutes(reset: PasswordReset,
                                              fake_keycloak: FakeKeycloakUsers, siti: str,
                                              storage: Storage, clock) -> None:
    _verify_phone(fake_keycloak, siti)
    reset.request("akses", NIK, "sms", "id")
    process_all(storage, reset)
    token = _sms_token(storage)
    clock.advance(minutes=15, seconds=1)
    assert isinstance(reset.open_link("akses", token), LinkInvalid)
    assert isinstance(reset.set_password("akses", token, "Baru#Sandi2025"), LinkInvalid)


def test_a7_tampered_link_is_invalid(reset: PasswordReset) -> None:
    assert isinstance(reset.open_link("akses", "forged.token.value"), LinkInvalid)


def test_c2_resend_only_after_15_minutes(reset: PasswordReset, storage: Storage,
                                         clock) -> None:
    token = reset.request("akses", NIK, "email", "id")
    early = reset.resend(token)
    assert isinstance(early, TooEarly) and 14 * 60 < early.retry_after_seconds <= 15 * 60
    clock.advance(minutes=15)
    assert reset.resend(token) == Resent()
    assert len([m for m in outbox(storage) if m.kind == OUTBOX_REQUESTED]) == 2


def test_c4_sms_notification_and_sms_text(reset: PasswordReset,
                                          fake_keycloak: FakeKeycloakUsers, siti: str,
                                          storage: Storage, clock) -> None:
    _verify_phone(fake_keycloak, siti)
    mailer, gateway = FakeMailer(), FakeMessageGateway()
    worker = OutboxWorker(storage, clock)
    notifications = Notifications(mailer, gateway, fake_keycloak, clock)
    worker.register(OUTBOX_REQUESTED,
                    lambda d: reset.process(d.payload["request_id"]) and None)
    worker.register(OUTBOX_SMS_LINK, notifications.password_reset_sms)
    worker.register(OUTBOX_PASSWORD_CHANGED, notifications.password_changed)
    reset.request("akses", NIK, "sms", "en")
    worker.run_once()
    worker.run_once()
    [sms] = gateway.messages_to(PHONE)
    assert sms.channel == "sms" and "15 minutes" in sms.text
    token = re.search(r"/atur/(\S+)", sms.text).group(1)
    assert reset.set_password("akses", token, "Baru#Sandi2025") == PasswordChanged()
    worker.run_once()
    [mail] = mailer.to("siti@example.com")
    assert mail.subject == "Your AKSes KSEI password has been changed"
    assert "WIB" in mail.text


def test_c4_c5_the_change_notice_speaks_the_accounts_language(
        fake_keycloak: FakeKeycloakUsers, siti: str) -> None:
    """The account's own language first, as in every notice to an account -- the page
    language of one reset is no reason to change it (a review of the mails)."""
    from gerbang_sidecar.ports.clock import utc_now
    from gerbang_sidecar.services.outbox_worker import Delivery

    fake_keycloak.update_user("akses", siti, attributes={"locale": "id"})
    mailer = FakeMailer()
    Notifications(mailer, FakeMessageGateway(), fake_keycloak, utc_now).password_changed(Delivery(
        message_id=1, kind=OUTBOX_PASSWORD_CHANGED, idempotency_key="k", attempt=1,
        payload={"realm": "akses", "user_id": siti, "locale": "en",
                 "changed_at": "2026-12-03T01:00:00+00:00"}))
    [mail] = mailer.to("siti@example.com")
    assert mail.subject == "Kata sandi AKSes KSEI Anda telah diubah"
    assert "03-12-2026 08:00 WIB" in mail.text and mail.sender_name == "AKSes KSEI"


def test_c2_repeated_requests_reach_the_account_once_per_15_minutes(
        reset: PasswordReset, storage: Storage, siti: str, clock) -> None:
    """Each "Proses" is its own request, but the owner gets one link per 15 minutes (X2)."""
    for _ in range(3):
        reset.request("akses", NIK, "email", "id")
    ids = [m.payload["request_id"] for m in outbox(storage) if m.kind == OUTBOX_REQUESTED]
    assert [reset.process(i) for i in ids] == ["email_link", "throttled", "throttled"]
    clock.advance(minutes=15, seconds=1)
    reset.request("akses", NIK, "email", "id")
    latest = [m.payload["request_id"] for m in outbox(storage) if m.kind == OUTBOX_REQUESTED]
    assert reset.process(latest[-1]) == "email_link"


def test_c2_requests_by_nik_and_sid_delivered_at_once_send_one_link(
        reset: PasswordReset, storage: Storage, siti: str,
        fake_keycloak: FakeKeycloakUsers) -> None:
    """Parallel outbox threads: the second request is decided while the first one sends."""
    reset.request("akses", NIK, "email", "id")
    reset.request("akses", SID, "email", "id")
    first, second = [m.payload["request_id"] for m in outbox(storage)
                     if m.kind == OUTBOX_REQUESTED]
    send = fake_keycloak.send_actions_email
    meanwhile: list[str] = []

    def the_other_thread_runs_now(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not meanwhile:
            meanwhile.append(reset.process(second))
        return send(*args, **kwargs)

    fake_keycloak.send_actions_email = the_other_thread_runs_now  # type: ignore[method-assign]
    assert reset.process(first) == "email_link"
    assert meanwhile == ["throttled"]
    assert len(fake_keycloak.sent) == 1


def test_c2_a_send_that_failed_does_not_throttle_its_retry(
        reset: PasswordReset, storage: Storage, siti: str,
        fake_keycloak: FakeKeycloakUsers) -> None:
    reset.request("akses", NIK, "email", "id")
    [request_id] = [m.payload["request_id"] for m in outbox(storage)
                    if m.kind == OUTBOX_REQUESTED]
    send = fake_keycloak.send_actions_email

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeycloakUnavailable("down")

    fake_keycloak.send_actions_email = down  # type: ignore[method-assign]
    with pytest.raises(KeycloakUnavailable):
        reset.process(request_id)
    fake_keycloak.send_actions_email = send  # type: ignore[method-assign]
    assert reset.process(request_id) == "email_link"  # the outbox's retry


def test_oss_forgot_password_by_username_or_email_leads_home(
        reset: PasswordReset, fake_keycloak: FakeKeycloakUsers, storage: Storage) -> None:
    """OSS (issue 9, item 5): username or email only; the link goes back to the OSS Home."""
    user_id = fake_keycloak.create_user("oss", NewUser(
        "dewi@example.com", "dewi@example.com", "Dewi", email_verified=True,
        attributes={"nik": "3171015203910023"}))
    reset.request("oss", "DEWI@example.com", "email", "id")
    reset.request("oss", "3171015203910023", "email", "id")  # a NIK names no OSS account here
    assert process_all(storage, reset) == ["email_link", "no_account"]
    sent = fake_keycloak.sent[-1]
    assert (sent.realm, sent.user_id, sent.client_id, sent.redirect_uri) == (
        "oss", user_id, "oss-portal", "https://sidecar.test/oss/home")


def test_c4_x9_a_database_hiccup_after_the_change_still_notifies_and_ends_the_logins(
        reset: PasswordReset, fake_keycloak: FakeKeycloakUsers, siti: str, storage: Storage,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The password changed in Keycloak; the record of it (C4 notice, other links dead, the
    sidecar's logins ended) is tried again rather than lost to one failed transaction."""
    from gerbang_sidecar.adapters.storage.password_resets import SqlPasswordResets
    from gerbang_sidecar.ports.storage import StorageError

    _verify_phone(fake_keycloak, siti)
    reset.request("akses", SID, "sms", "id")
    process_all(storage, reset)
    token = _sms_token(storage)
    original = SqlPasswordResets.use_all_links
    failures = iter([StorageError("database went away")])

    def stumbling(self, **kwargs):  # type: ignore[no-untyped-def]
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return original(self, **kwargs)

    monkeypatch.setattr(SqlPasswordResets, "use_all_links", stumbling)
    monkeypatch.setattr("gerbang_sidecar.services.retried_transactions.time.sleep",
                        lambda _s: None)
    assert reset.set_password("akses", token, "Baru#Sandi2025") == PasswordChanged()
    notice = [m for m in outbox(storage) if m.kind == OUTBOX_PASSWORD_CHANGED]
    assert [m.payload["user_id"] for m in notice] == [siti]
