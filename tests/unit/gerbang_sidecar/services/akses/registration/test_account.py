"""A5, X1, X5, issue 8 items 2, 3, 13: the worker makes the account behind "Aktivasi" -- or,
when an identifier already has an account, makes nothing and tells that account's owner."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from gerbang_sidecar.adapters.storage.identities import SqlIdentityRecords
from gerbang_sidecar.adapters.storage.models import Registration
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.ports.storage import StorageError
from gerbang_sidecar.services.akses.registration.results import ActivationAccepted, ThankYou
from support.akses_registrations import (
    BUDI,
    DANA,
    KENJI,
    REALM,
    SITI,
    audit_types,
    confirm,
    identity_records,
    register,
)


def _status(storage) -> list[str]:
    with storage.session_factory() as s:
        return [r.status for r in s.scalars(select(Registration).order_by(
            Registration.id))]


def _admin_made(keycloak, email: str, **attributes: str) -> str:
    """An account not made by the sidecar (demo, admin, legacy import): no identity records."""
    return keycloak.create_user(REALM, NewUser(
        username=email.split("@")[0], email=email, first_name="Dibuat Admin",
        email_verified=True, attributes=attributes))


@pytest.mark.parametrize("second", [
    pytest.param({**BUDI, "email": "siti.rahmawati@example.com ", "phone": "081399990000",
                  "nik": "3171015203900001", "name": "Siti Rahmawati"}, id="same-nik"),
    pytest.param({**BUDI, "email": "SITI.RAHMAWATI@example.com", "phone": "081399990000"},
                 id="same-email"),
    pytest.param({**BUDI, "phone": "0812-3456-7890"}, id="same-phone"),
])
def test_x1_taken_identifier_makes_nothing_and_tells_the_owner(
        registration, flaky_keycloak, storage, mailer, deliver, second):
    register(registration, SITI, deliver)
    [siti] = flaky_keycloak.in_realm()
    confirmation = confirm(registration, second)
    # The same pages as for a free identifier: confirmation, accepted, thank-you.
    assert isinstance(registration.activate(confirmation.token), ActivationAccepted)
    deliver()
    assert isinstance(registration.thank_you(confirmation.token), ThankYou)
    assert flaky_keycloak.in_realm() == [siti]
    assert _status(storage) == ["activated", "declined"]
    [notice] = mailer.to("siti.rahmawati@example.com")
    assert "Percobaan pendaftaran AKSes KSEI" in notice.subject
    assert "Akun baru tidak dibuat" in notice.text
    assert "https://gerbang.example.id/akses" in notice.text
    # Nothing to the address typed in the second registration, nor any activation email.
    assert mailer.to("budi.santoso@example.co.id") == []
    assert len(flaky_keycloak.sent) == 1
    assert "akses.registration.declined" in audit_types(storage)


@pytest.mark.parametrize("existing, form", [
    pytest.param({"nik": "3171015203900001"}, SITI, id="nik"),
    pytest.param({"passport": "TR5839201"}, KENJI, id="passport"),
    pytest.param({"sid": "CPD010315774201"}, DANA, id="sid"),
    pytest.param({"sid": "IDD120390482615"}, SITI, id="sid-found-at-ksei"),
    pytest.param({"phoneNumber": "+6281234567890"}, SITI, id="phone"),
])
def test_x1_accounts_made_elsewhere_count_too(registration, flaky_keycloak, storage, mailer,
                                              deliver, existing, form):
    # Demo, admin-made and legacy accounts: the identity index reads them from Keycloak's
    # admin events before the check (issue 11 item 4); nothing is recorded for the declined.
    owner = _admin_made(flaky_keycloak, "lama@example.com", **existing)
    register(registration, form, deliver)
    assert len(flaky_keycloak.in_realm()) == 1
    assert _status(storage) == ["declined"]
    assert [m.to for m in mailer.sent] == ["lama@example.com"]
    assert {subject for _, _, subject in identity_records(storage)} == {owner}


def test_x1_owner_is_told_in_their_own_language(registration, flaky_keycloak, mailer, deliver):
    owner = _admin_made(flaky_keycloak, "owner@example.com", nik="3171015203900001")
    flaky_keycloak.update_user(REALM, owner, attributes={"locale": "en"})
    register(registration, SITI, deliver)
    [notice] = mailer.sent
    assert notice.subject == "Someone tried to register for AKSes KSEI with your details"


def test_x1_second_pending_registration_of_one_person_is_declined(registration,
                                                                  flaky_keycloak, storage,
                                                                  deliver):
    first = confirm(registration, BUDI)
    second = confirm(registration, {**BUDI, "email": "budi.lain@example.co.id"})
    registration.activate(first.token)
    registration.activate(second.token)
    deliver()
    assert len(flaky_keycloak.in_realm()) == 1
    assert _status(storage) == ["activated", "declined"]


def test_x5_keycloak_down_delays_the_account_and_loses_nothing(registration, flaky_keycloak,
                                                               storage, clock, deliver):
    confirmation = confirm(registration, SITI)
    flaky_keycloak.down = True
    registration.activate(confirmation.token)
    report = deliver()
    assert report.retried == 1 and flaky_keycloak.in_realm() == []
    assert _status(storage) == ["activating"]
    flaky_keycloak.down = False
    clock.advance(minutes=10)
    deliver()
    assert len(flaky_keycloak.in_realm()) == 1 and len(flaky_keycloak.sent) == 1
    assert _status(storage) == ["activated"]


def _database_fails_after_keycloak(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise StorageError("OperationalError")

    monkeypatch.setattr(SqlIdentityRecords, "add_all", refuse)


def test_x5_user_left_by_a_failed_run_is_taken_over_not_duplicated(
        registration, flaky_keycloak, storage, clock, deliver, monkeypatch):
    # Keycloak made the user, then the database went away (or the worker crashed): the next
    # run finds that user -- same email, unverified, same NIK, no records -- and finishes it.
    confirmation = confirm(registration, BUDI)
    registration.activate(confirmation.token)
    with monkeypatch.context() as patch:
        _database_fails_after_keycloak(patch)
        assert deliver().retried == 1
    assert len(flaky_keycloak.in_realm()) == 1 and identity_records(storage) == []
    clock.advance(minutes=10)
    deliver()
    [user] = flaky_keycloak.in_realm()
    assert flaky_keycloak.realm_roles_of(REALM, user.id) == {"registered-user"}
    assert {r[2] for r in identity_records(storage)} == {user.id}
    assert _status(storage) == ["activated"] and len(flaky_keycloak.sent) == 1


def test_x5_user_left_behind_is_removed_when_the_registration_is_declined(
        registration, flaky_keycloak, storage, clock, deliver, monkeypatch):
    confirmation = confirm(registration, BUDI)
    registration.activate(confirmation.token)
    with monkeypatch.context() as patch:
        _database_fails_after_keycloak(patch)
        deliver()
    # Meanwhile another registration of the same phone number completed.
    with storage.transaction() as tx:
        tx.identities.add(realm=REALM, kind="phone", value="+6281298765432",
                          created_at=clock.now, subject_id="someone")
    clock.advance(minutes=10)
    deliver()
    assert flaky_keycloak.in_realm() == []
    assert _status(storage) == ["declined"]


def test_x5_activation_email_down_keeps_the_account(registration, flaky_keycloak, storage,
                                                    clock, deliver):
    confirmation = confirm(registration, SITI)
    registration.activate(confirmation.token)
    flaky_keycloak.failing = {"send_actions_email"}
    deliver()
    assert len(flaky_keycloak.in_realm()) == 1 and flaky_keycloak.sent == []
    flaky_keycloak.failing = set()
    clock.advance(minutes=10)
    deliver()
    assert len(flaky_keycloak.sent) == 1
