"""A5, X4, X5: "Aktivasi" creates one account, and nothing half-written on any failure."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from gerbang_sidecar.adapters.storage.identities import SqlIdentityRecords
from gerbang_sidecar.adapters.storage.models import AksesRegistration, AuditEvent
from gerbang_sidecar.ports.storage import StorageError
from gerbang_sidecar.services.akses.registration.results import (
    Activated,
    AlreadyRegistered,
)
from gerbang_sidecar.services.results import TemporaryProblem
from support.akses_registrations import (
    BUDI,
    DANA,
    REALM,
    SITI,
    audit_types,
    confirm,
    identity_records,
    register,
)


def test_a5_double_activation_creates_one_account(registration, flaky_keycloak, deliver):
    confirmation = confirm(registration, SITI)
    first = registration.activate(confirmation.token)
    again = registration.activate(confirmation.token)
    deliver()
    assert isinstance(first, Activated) and isinstance(again, Activated)
    assert again.keycloak_user_id == first.keycloak_user_id
    assert len(flaky_keycloak.in_realm()) == 1
    assert len(flaky_keycloak.sent) == 1


def test_a5_double_activation_concurrent_clicks_create_one_account(registration, flaky_keycloak,
                                                                   storage):
    confirmation = confirm(registration, DANA)
    flaky_keycloak.create_delay = 0.2  # keep the first click inside Keycloak while the second lands
    start = threading.Barrier(2)
    results: list[Any] = []

    def click() -> None:
        start.wait()
        results.append(registration.activate(confirmation.token))

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(type(r).__name__ for r in results) == ["Activated", "ActivationInProgress"]
    assert len(flaky_keycloak.in_realm()) == 1
    assert flaky_keycloak.calls.count("create_user") == 1
    assert len(identity_records(storage)) == 3  # sid, email, phone


def _database_fails_after_keycloak(monkeypatch: pytest.MonkeyPatch) -> None:
    """The identity records cannot be written (the database went away) right after Keycloak
    created the account."""
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise StorageError("OperationalError")

    monkeypatch.setattr(SqlIdentityRecords, "add_all", refuse)


@pytest.mark.parametrize("failing", ["keycloak", "database"])
def test_x5_keycloak_failure_leaves_nothing_half_written(registration, flaky_keycloak, storage,
                                                         failing, monkeypatch):
    confirmation = confirm(registration, SITI)
    with monkeypatch.context() as patch:
        if failing == "keycloak":
            flaky_keycloak.failing = {"create_user"}
        else:
            _database_fails_after_keycloak(patch)
        assert isinstance(registration.activate(confirmation.token), TemporaryProblem)

    assert flaky_keycloak.in_realm() == []
    assert identity_records(storage) == []
    assert flaky_keycloak.sent == []
    assert "akses.registration.activated" not in audit_types(storage)
    # The same confirmation page works once Keycloak is back.
    flaky_keycloak.failing = set()
    activated = registration.activate(confirmation.token)
    assert isinstance(activated, Activated)
    assert len(flaky_keycloak.in_realm()) == 1 and len(identity_records(storage)) == 4


def test_x5_failed_undo_is_finished_before_the_next_attempt(registration, flaky_keycloak, storage,
                                                            monkeypatch):
    confirmation = confirm(registration, BUDI)
    flaky_keycloak.failing = {"delete_user"}
    with monkeypatch.context() as patch:
        _database_fails_after_keycloak(patch)
        assert isinstance(registration.activate(confirmation.token), TemporaryProblem)
    assert len(flaky_keycloak.in_realm()) == 1  # an orphan Keycloak could not delete
    flaky_keycloak.failing = set()
    assert isinstance(registration.activate(confirmation.token), Activated)
    [user] = flaky_keycloak.in_realm()
    assert user.realm_roles == {"registered-user"}


def test_x5_database_failure_after_keycloak_undoes_the_user(registration, flaky_keycloak, storage,
                                                            clock):
    confirmation = confirm(registration, BUDI)
    # Another registration took the same phone at the very last moment: the unique identity
    # records refuse this one, and its Keycloak user is removed again.
    with storage.transaction() as s:
        s.identities.add(realm=REALM, kind="phone", value="+6281298765432",
                               created_at=clock.now, subject_id="someone")
    assert isinstance(registration.activate(confirmation.token), AlreadyRegistered)
    assert flaky_keycloak.in_realm() == []
    assert [r[0] for r in identity_records(storage)] == ["phone"]


def test_second_pending_registration_of_one_person_cannot_activate(registration, flaky_keycloak):
    first = confirm(registration, BUDI)
    second = confirm(registration, {**BUDI, "email": "budi.lain@example.co.id"})
    assert isinstance(registration.activate(first.token), Activated)
    assert isinstance(registration.activate(second.token), AlreadyRegistered)
    assert len(flaky_keycloak.in_realm()) == 1


def test_x4_activated_registration_keeps_only_the_name(registration, storage):
    _, activated = register(registration, SITI)
    with storage.session_factory() as s:
        row = s.scalars(select(AksesRegistration)).one()
        assert row.data == {"name": "Siti Rahmawati"}
        assert row.keycloak_user_id == activated.keycloak_user_id
        [event] = [e for e in s.scalars(select(AuditEvent))
                   if e.event_type == "akses.registration.activated"]
        assert event.subject_id == activated.keycloak_user_id
        assert event.details["roles"] == ["investor", "easy-shareholder"]
