"""O1, O4, O5, X1: what the outbox worker makes of an accepted OSS registration -- the account
in its group with the profile the realm declares and the terms' time, its activation email
back to Home; or, when an identifier already has an account, nothing but a notice."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.mail import FakeMailer
from gerbang_sidecar.adapters.registries.fakes import build_fake_registries
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.domain.oss.accounts import GROUP_ROLES
from gerbang_sidecar.portals import UNACTIVATED_KEPT
from gerbang_sidecar.ports.keycloak import KeycloakUnavailable, NewUser
from gerbang_sidecar.services.identity_index import identity_index
from gerbang_sidecar.services.notifications import Notifications
from gerbang_sidecar.services.oss.registration import (
    OUTBOX_ACTIVATION_EMAIL,
    OUTBOX_MAKE_ACCOUNT,
    OssRegistrations,
    OssRegistrationSettings,
    Submitted,
)
from gerbang_sidecar.services.outbox_worker import OutboxWorker
from gerbang_sidecar.services.password_reset.context import AUDIT_LINK_SENT
from gerbang_sidecar.services.registrations.accounts import OUTBOX_REGISTRATION_ATTEMPT
from gerbang_sidecar.services.registrations.unactivated_accounts import UnactivatedAccounts
from support.clock import FakeClock

REALM_CONFIG = Path(__file__).resolve().parents[5] / "realm-config"
SRI = {"identity_type": "ktp", "nik": "3171014407960019", "name": "Sri Handayani",
       "country": "ID", "birth_date": "04-07-1996", "phone": "81355500041",
       "email": "Sri.Handayani@example.com", "terms": "y"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 2, 1, 0, tzinfo=UTC))


@pytest.fixture
def keycloak() -> FakeKeycloakUsers:
    return FakeKeycloakUsers()


@pytest.fixture
def mailer() -> FakeMailer:
    return FakeMailer()


@pytest.fixture
def oss(storage: Storage, keycloak: FakeKeycloakUsers, clock: FakeClock) -> OssRegistrations:
    settings = OssRegistrationSettings(public_url="https://g.example.id")
    return OssRegistrations(storage, keycloak, build_fake_registries().registries().dukcapil,
                            clock, settings,
                            identity_index(storage, keycloak, clock, [settings.realm]))


@pytest.fixture
def worker(oss: OssRegistrations, storage: Storage, clock: FakeClock,
           keycloak: FakeKeycloakUsers, mailer: FakeMailer) -> OutboxWorker:
    worker = OutboxWorker(storage, clock)
    notifications = Notifications(mailer=mailer, gateway=None, keycloak=keycloak,  # type: ignore[arg-type]
                                  clock=clock)
    worker.register(OUTBOX_MAKE_ACCOUNT, oss.make_account, redeliver_after_crash=True)
    worker.register(OUTBOX_ACTIVATION_EMAIL, oss.send_activation_email)
    worker.register(OUTBOX_REGISTRATION_ATTEMPT, notifications.registration_attempt)
    return worker


def _drain(worker: OutboxWorker) -> None:
    while worker.run_once().handled:
        pass


def test_o5_the_account_is_made_in_its_group_and_its_email_leads_home(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers) -> None:
    assert isinstance(oss.submit(SRI), Submitted)
    _drain(worker)
    user = keycloak.find_by_username("oss", "sri.handayani@example.com")
    assert user is not None and not user.email_verified
    assert user.attributes["nik"] == "3171014407960019"
    assert user.attributes["identityType"] == "ktp"
    assert user.attributes["birthDate"] == "1996-07-04"
    assert user.attributes["termsAcceptedAt"] == "2026-12-02T01:00:00+00:00"  # O4
    assert keycloak.realm_roles_of("oss", user.id) == frozenset({"pelaku-usaha"})
    [sent] = keycloak.sent
    assert (sent.realm, sent.actions, sent.client_id, sent.redirect_uri) == (
        "oss", ["VERIFY_EMAIL", "UPDATE_PASSWORD"], "oss-portal",
        "https://g.example.id/oss/home")


def test_x1_a_taken_nik_makes_nothing_and_tells_the_owner(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers,
        mailer: FakeMailer) -> None:
    owner = keycloak.create_user("oss", NewUser(
        "pemilik@example.com", "pemilik@example.com", "Pemilik",
        attributes={"nik": "3171014407960019"}, email_verified=True))
    assert isinstance(oss.submit(SRI), Submitted)  # the same page as anyone's
    _drain(worker)
    assert keycloak.find_by_username("oss", "sri.handayani@example.com") is None
    assert keycloak.sent == []
    assert [m.to for m in mailer.sent] == ["pemilik@example.com"]
    assert owner


def test_x1_attempts_with_an_owners_data_mail_the_owner_once_a_day(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers,
        mailer: FakeMailer, clock: FakeClock) -> None:
    """Each attempt is a stranger's free mail to the owner otherwise (a hostile review sent
    eight in a row)."""
    keycloak.create_user("oss", NewUser(
        "pemilik@example.com", "pemilik@example.com", "Pemilik",
        attributes={"nik": "3171014407960019"}, email_verified=True))
    for n in range(3):
        assert isinstance(oss.submit({**SRI, "email": f"orang{n}@example.com"}), Submitted)
        _drain(worker)
    assert [m.to for m in mailer.sent] == ["pemilik@example.com"]
    clock.advance(days=1)
    assert isinstance(oss.submit({**SRI, "email": "besok@example.com"}), Submitted)
    _drain(worker)
    assert [m.to for m in mailer.sent] == ["pemilik@example.com"] * 2


def test_o3_a_passport_holder_joins_the_foreigners_group(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers) -> None:
    passport = {"identity_type": "paspor", "passport": "TR1234567", "passport_country": "JP",
                "passport_issue_date": "01-04-2021", "passport_expiry_date": "31-03-2031",
                "passport_office": "Tokyo", "name": "Hiroshi Tanaka", "sex": "L",
                "citizenship": "JP", "birth_place": "Osaka", "birth_date": "22-08-1979",
                "phone": "+81 90 1234 5678", "email": "hiroshi@example.com", "terms": "y"}
    assert isinstance(oss.submit(passport), Submitted)
    _drain(worker)
    user = keycloak.find_by_username("oss", "hiroshi@example.com")
    assert user is not None
    assert keycloak.realm_roles_of("oss", user.id) == frozenset(
        {"pelaku-usaha", "pelaku-usaha-wna"})
    assert (user.attributes["passportCountry"], user.attributes["gender"],
            user.attributes["passportExpiryDate"]) == ("JP", "L", "2031-03-31")


def test_o1_groups_and_their_roles_match_the_realm_config() -> None:
    declared = json.loads((REALM_CONFIG / "oss" / "groups.json").read_text())["groups"]
    assert {g["name"]: tuple(g["realmRoles"]) for g in declared} == GROUP_ROLES


def test_i4_insw_groups_and_their_roles_match_the_realm_config() -> None:
    from gerbang_sidecar.domain.insw.accounts import GROUP_ROLES as INSW_GROUP_ROLES

    declared = json.loads((REALM_CONFIG / "insw" / "groups.json").read_text())["groups"]
    assert {g["name"]: tuple(g["realmRoles"]) for g in declared} == INSW_GROUP_ROLES


# --- accounts nobody activated (O5, X10) ------------------------------------------------------

def _passport(n: int) -> dict[str, str]:
    return {"identity_type": "paspor", "passport": f"TR12345{n:02d}", "passport_country": "JP",
            "passport_issue_date": "01-04-2021", "passport_expiry_date": "31-03-2031",
            "passport_office": "Tokyo", "name": "Hiroshi Tanaka", "sex": "L",
            "citizenship": "JP", "birth_place": "Osaka", "birth_date": "22-08-1979",
            "phone": f"+81 90 1234 56{n:02d}", "email": f"hiroshi{n}@example.com",
            "terms": "y"}


def _sweeper(storage: Storage, keycloak: FakeKeycloakUsers, clock: FakeClock,
             **options: int) -> UnactivatedAccounts:
    return UnactivatedAccounts(storage, keycloak, clock, {"oss": UNACTIVATED_KEPT}, **options)


def test_x10_an_account_nobody_activated_goes_after_two_weeks_and_its_data_is_free(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers,
        storage: Storage, clock: FakeClock, mailer: FakeMailer) -> None:
    """A stranger can have an OSS account made for anyone's email and passport: unactivated,
    it must not hold them (or the NIK of a KTP registration) for ever."""
    assert isinstance(oss.submit(SRI), Submitted)
    _drain(worker)
    user = keycloak.find_by_username("oss", "sri.handayani@example.com")
    assert user is not None
    sweeper = _sweeper(storage, keycloak, clock)
    clock.advance(days=13, hours=23)
    assert sweeper.sweep() == 0 and keycloak.get_user("oss", user.id) is not None
    clock.advance(hours=2)
    assert sweeper.sweep() == 1
    assert keycloak.get_user("oss", user.id) is None
    with storage.transaction() as tx:
        assert list(tx.registrations.of_account(realm="oss", keycloak_user_id=user.id)) == []
        assert tx.audit.last_occurred(realm="oss", subject_id=user.id,
                                      event_type="oss.registration.expired") is not None
    # The owner registers again: a new account, not "your data already has an account".
    assert isinstance(oss.submit(SRI), Submitted)
    _drain(worker)
    assert keycloak.find_by_username("oss", "sri.handayani@example.com") is not None
    assert mailer.sent == []
    clock.advance(days=1)
    assert sweeper.sweep() == 0  # the new one's time has not come


def test_x10_an_account_its_owner_used_stays(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers,
        storage: Storage, clock: FakeClock) -> None:
    """A verified address (the activation link) or a password (forgot password by SMS sets
    one without verifying the address) is an owner's use: kept."""
    for n in range(3):
        assert isinstance(oss.submit(_passport(n)), Submitted)
    _drain(worker)
    verified, with_password, removed_by_admin = (
        keycloak.find_by_username("oss", f"hiroshi{n}@example.com") for n in range(3))
    assert verified and with_password and removed_by_admin
    keycloak.update_user("oss", verified.id, email_verified=True)
    keycloak.set_password("oss", with_password.id, "Rahasia#2026")
    keycloak.delete_user("oss", removed_by_admin.id)
    clock.advance(days=15)
    assert _sweeper(storage, keycloak, clock).sweep() == 0
    assert keycloak.get_user("oss", verified.id) and keycloak.get_user("oss", with_password.id)


def test_x10_keycloak_unreachable_stops_the_sweep_and_the_next_run_goes_on(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers,
        storage: Storage, clock: FakeClock) -> None:
    assert isinstance(oss.submit(_passport(1)), Submitted)
    _drain(worker)
    clock.advance(days=15)
    sweeper = _sweeper(storage, keycloak, clock)
    keycloak.down = True
    assert sweeper.sweep() == 0
    keycloak.down = False
    assert sweeper.sweep() == 1


def test_x10_a_backlog_is_read_in_batches_each_registration_once(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers,
        storage: Storage, clock: FakeClock) -> None:
    for n in range(5):
        assert isinstance(oss.submit(_passport(n)), Submitted)
        clock.advance(seconds=1)
    _drain(worker)
    first = keycloak.find_by_username("oss", "hiroshi0@example.com")
    assert first is not None
    keycloak.set_password("oss", first.id, "Rahasia#2026")
    clock.advance(days=15)
    sweeper = _sweeper(storage, keycloak, clock, batch=2, batches_per_run=2)
    assert sweeper.sweep() == 3  # two batches of two: the kept one and three removed
    assert sweeper.sweep() == 1  # the next run goes on after the mark
    assert sweeper.sweep() == 0
    assert keycloak.get_user("oss", first.id) is not None


def test_x10_registrations_of_one_moment_are_never_split_across_batches(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers,
        storage: Storage, clock: FakeClock) -> None:
    """The mark is a moment: a batch that ended inside one would skip the rest of it."""
    for n in range(5):
        assert isinstance(oss.submit(_passport(n)), Submitted)  # the clock stands still
    _drain(worker)
    clock.advance(days=15)
    assert _sweeper(storage, keycloak, clock, batch=2, batches_per_run=1).sweep() == 5


def test_x10_an_owner_who_asked_for_a_password_link_lately_keeps_the_account(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers,
        storage: Storage, clock: FakeClock) -> None:
    """Forgot password near day 14: the link lives 15 minutes, the sweep must not take the
    account from under it."""
    assert isinstance(oss.submit(_passport(1)), Submitted)
    _drain(worker)
    user = keycloak.find_by_username("oss", "hiroshi1@example.com")
    assert user is not None
    clock.advance(days=14, hours=12)
    with storage.transaction() as tx:
        tx.audit.record(realm="oss", event_type=AUDIT_LINK_SENT, occurred_at=clock(),
                        subject_id=user.id, details={"channel": "email"})
    clock.advance(hours=1)
    assert _sweeper(storage, keycloak, clock).sweep() == 0
    assert keycloak.get_user("oss", user.id) is not None



def _link_asked(storage: Storage, clock: FakeClock, user_id: str) -> None:
    with storage.transaction() as tx:
        tx.audit.record(realm="oss", event_type=AUDIT_LINK_SENT, occurred_at=clock(),
                        subject_id=user_id, details={"channel": "email"})


def test_x10_a_spared_account_is_looked_at_again_when_its_day_of_grace_is_over(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers,
        storage: Storage, clock: FakeClock) -> None:
    """The sweep read each registration once: one link asked on day 13 (anyone who knows
    the email may ask) kept an account made for a stranger's address for ever."""
    for n in (1, 2):
        assert isinstance(oss.submit(_passport(n)), Submitted)
    _drain(worker)
    idle, owner = (keycloak.find_by_username("oss", f"hiroshi{n}@example.com") for n in (1, 2))
    assert idle is not None and owner is not None
    clock.advance(days=13, hours=23)
    _link_asked(storage, clock, idle.id)
    _link_asked(storage, clock, owner.id)
    sweeper = _sweeper(storage, keycloak, clock)
    clock.advance(hours=2)
    assert sweeper.sweep() == 0  # both spared: their links may still be read
    keycloak.set_password("oss", owner.id, "Rahasia#2026")  # the owner followed the link
    clock.advance(hours=20)
    assert sweeper.sweep() == 0  # the day is not over yet
    clock.advance(hours=2)
    assert sweeper.sweep() == 1
    assert keycloak.get_user("oss", idle.id) is None
    assert keycloak.get_user("oss", owner.id) is not None
    with storage.transaction() as tx:
        assert list(tx.registrations.due_to_look_again(realm="oss", now=clock(),
                                                       limit=10)) == []


def test_x10_links_asked_day_after_day_spare_an_account_only_for_a_week(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers,
        storage: Storage, clock: FakeClock) -> None:
    from gerbang_sidecar.services.registrations.unactivated_accounts import SPARE_LIMIT

    assert isinstance(oss.submit(_passport(1)), Submitted)
    _drain(worker)
    user = keycloak.find_by_username("oss", "hiroshi1@example.com")
    assert user is not None
    sweeper = _sweeper(storage, keycloak, clock)
    clock.advance(days=14, hours=1)
    days = 0
    while keycloak.get_user("oss", user.id) is not None:
        _link_asked(storage, clock, user.id)
        sweeper.sweep()
        clock.advance(days=1, minutes=1)
        days += 1
        assert days <= SPARE_LIMIT.days + 1
    assert days == SPARE_LIMIT.days + 1



def test_x10_a_sweep_that_comes_late_still_spares_an_owner_on_their_way_in(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers,
        storage: Storage, clock: FakeClock) -> None:
    """The week of grace starts when an account is first spared, not on its day: a sweep
    that comes ten days late (Keycloak was away) must not delete an account whose owner
    asked for a link five minutes ago."""
    assert isinstance(oss.submit(_passport(1)), Submitted)
    _drain(worker)
    user = keycloak.find_by_username("oss", "hiroshi1@example.com")
    assert user is not None
    clock.advance(days=24)
    _link_asked(storage, clock, user.id)
    clock.advance(minutes=5)
    assert _sweeper(storage, keycloak, clock).sweep() == 0
    assert keycloak.get_user("oss", user.id) is not None


def test_x10_one_account_keycloak_refuses_does_not_hold_up_the_others(
        oss: OssRegistrations, worker: OutboxWorker, keycloak: FakeKeycloakUsers,
        storage: Storage, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not an outage: Keycloak refuses one account (a 403, a 409). It is put off a day and
    the sweep goes on with the rest, then and every day after."""
    from gerbang_sidecar.ports.keycloak import KeycloakError

    for n in (1, 2):
        assert isinstance(oss.submit(_passport(n)), Submitted)
        clock.advance(seconds=1)
    _drain(worker)
    refused, other = (keycloak.find_by_username("oss", f"hiroshi{n}@example.com")
                      for n in (1, 2))
    assert refused is not None and other is not None
    update = keycloak.update_user

    def refuse_one(realm: str, user_id: str, **changes: Any) -> None:
        if user_id == refused.id:
            raise KeycloakError("forbidden")
        update(realm, user_id, **changes)

    monkeypatch.setattr(keycloak, "update_user", refuse_one)
    clock.advance(days=15)
    sweeper = _sweeper(storage, keycloak, clock)
    assert sweeper.sweep() == 1 and keycloak.get_user("oss", other.id) is None
    assert sweeper.sweep() == 0  # not tried again at once
    monkeypatch.setattr(keycloak, "update_user", update)
    clock.advance(days=1, minutes=1)
    assert sweeper.sweep() == 1 and keycloak.get_user("oss", refused.id) is None


def _registrations_on(keycloak: FakeKeycloakUsers, storage: Storage, clock: FakeClock
                      ) -> tuple[OssRegistrations, OutboxWorker]:
    """OSS registrations whose accounts a worker makes on this (failing) Keycloak."""
    settings = OssRegistrationSettings(public_url="https://g.example.id")
    oss = OssRegistrations(storage, keycloak, build_fake_registries().registries().dukcapil,
                           clock, settings, identity_index(storage, keycloak, clock, ["oss"]))
    worker = OutboxWorker(storage, clock)
    worker.register(OUTBOX_MAKE_ACCOUNT, oss.make_account, redeliver_after_crash=True)
    worker.register(OUTBOX_ACTIVATION_EMAIL, oss.send_activation_email)
    return oss, worker


class _FailingOnSecondLook(FakeKeycloakUsers):
    """Keycloak that stops answering after one account was looked at."""

    looks = 0

    def get_user(self, realm: str, user_id: str):  # type: ignore[no-untyped-def]
        self.looks += 1
        if self.looks == 3:  # the second account (the first is looked at twice)
            raise KeycloakUnavailable("down")
        return super().get_user(realm, user_id)


def test_x10_a_keycloak_failure_inside_one_moment_does_not_skip_the_rest_of_it(
        storage: Storage, clock: FakeClock) -> None:
    keycloak = _FailingOnSecondLook()
    oss, worker = _registrations_on(keycloak, storage, clock)
    for n in range(2):
        assert isinstance(oss.submit(_passport(n)), Submitted)  # one moment
    _drain(worker)
    clock.advance(days=15)
    sweeper = _sweeper(storage, keycloak, clock)
    keycloak.looks = 0
    assert sweeper.sweep() == 1  # stopped at the second
    assert sweeper.sweep() == 1  # and goes on with it, not after the moment


class _DeleteFailsOnce(FakeKeycloakUsers):
    failed = False

    def delete_user(self, realm: str, user_id: str) -> None:
        if not self.failed:
            self.failed = True
            raise KeycloakUnavailable("down")
        super().delete_user(realm, user_id)


def test_x10_a_sweep_stopped_half_way_leaves_no_account_disabled(
        storage: Storage, clock: FakeClock) -> None:
    """The account is disabled before it is looked at again: a Keycloak failure after that
    enables it again, and the next run finishes the work."""
    keycloak = _DeleteFailsOnce()
    oss, worker = _registrations_on(keycloak, storage, clock)
    assert isinstance(oss.submit(_passport(1)), Submitted)
    _drain(worker)
    user = keycloak.find_by_username("oss", "hiroshi1@example.com")
    assert user is not None
    clock.advance(days=15)
    sweeper = _sweeper(storage, keycloak, clock)
    assert sweeper.sweep() == 0
    again = keycloak.get_user("oss", user.id)
    assert again is not None and again.enabled
    assert sweeper.sweep() == 1 and keycloak.get_user("oss", user.id) is None
