"""C3, issue 8 item 8: failed logins reach the owner as one mail per quarter hour at most, none
while the account is locked."""

from __future__ import annotations

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.mail import FakeMailer
from gerbang_sidecar.adapters.registries.fakes import build_fake_registries
from gerbang_sidecar.ports.keycloak import LoginFailure, NewUser
from gerbang_sidecar.services.login_failure_notices import (
    OUTBOX_LOGIN_FAILURE_NOTICE,
    LoginFailureNotices,
)
from gerbang_sidecar.services.notifications import Notifications
from gerbang_sidecar.services.outbox_worker import OutboxWorker


def _setup(storage, clock):  # type: ignore[no-untyped-def]
    keycloak = FakeKeycloakUsers()
    user_id = keycloak.create_user("akses", NewUser(
        username="siti@example.com", email="siti@example.com", first_name="Siti",
        attributes={"locale": "id"}))
    notices = LoginFailureNotices(storage, keycloak, clock, ["akses"])
    mailer = FakeMailer()
    worker = OutboxWorker(storage, clock)
    worker.register(OUTBOX_LOGIN_FAILURE_NOTICE, Notifications(
        mailer=mailer, gateway=build_fake_registries().message_gateway,
        keycloak=keycloak, clock=clock).login_failure_notice)
    return keycloak, user_id, notices, mailer, worker


def _fail(keycloak: FakeKeycloakUsers, user_id: str, clock, times: int = 1,  # type: ignore[no-untyped-def]
          error: str = "invalid_user_credentials") -> None:
    for _ in range(times):
        clock.advance(seconds=0.3)
        keycloak.failures.append(LoginFailure(user_id, int(clock().timestamp() * 1000), error))


def test_c3_thirty_wrong_passwords_make_one_mail_per_quarter_hour(storage, clock) -> None:
    keycloak, user_id, notices, mailer, worker = _setup(storage, clock)
    _fail(keycloak, user_id, clock, times=30)
    assert notices.run() == 1
    worker.run_once()
    [mail] = mailer.sent
    assert mail.to == "siti@example.com" and "30 percobaan masuk" in mail.text
    # More failures within 15 minutes: nothing more.
    clock.advance(minutes=5)
    _fail(keycloak, user_id, clock, times=10)
    assert notices.run() == 0
    # Past the quarter hour, new failures: one more.
    clock.advance(minutes=11)
    _fail(keycloak, user_id, clock)
    assert notices.run() == 1


def test_c3_no_mail_while_the_account_is_locked(storage, clock) -> None:
    keycloak, user_id, notices, mailer, worker = _setup(storage, clock)
    keycloak.locked.add(("akses", user_id))
    _fail(keycloak, user_id, clock, times=5)
    _fail(keycloak, user_id, clock, times=5, error="user_temporarily_disabled")
    assert notices.run() == 0
    worker.run_once()
    assert mailer.sent == []


def test_c3_failures_are_read_once(storage, clock) -> None:
    keycloak, user_id, notices, _mailer, _worker = _setup(storage, clock)
    _fail(keycloak, user_id, clock, times=2)
    assert notices.run() == 1
    clock.advance(minutes=20)
    assert notices.run() == 0  # the same events again: already read


def test_c3_keycloak_down_costs_a_poll_not_the_worker(storage, clock) -> None:
    keycloak, user_id, notices, _mailer, _worker = _setup(storage, clock)
    _fail(keycloak, user_id, clock)
    keycloak.down = True
    assert notices.run() == 0
    keycloak.down = False
    assert notices.run() == 1
