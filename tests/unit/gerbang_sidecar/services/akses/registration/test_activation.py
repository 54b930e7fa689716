"""A5, X1, X5: "Aktivasi" is accepted once and handed to the worker; nothing else happens in
the page's request."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from gerbang_sidecar.adapters.storage.models import OutboxMessage, Registration
from gerbang_sidecar.adapters.storage.registrations import SqlRegistrations
from gerbang_sidecar.ports.storage import StorageError
from gerbang_sidecar.services.akses.registration.results import (
    ActivationAccepted,
    RegistrationNotFound,
)
from gerbang_sidecar.services.results import TemporaryProblem
from support.akses_registrations import BUDI, DANA, SITI, audit_types, confirm


def _outbox_kinds(storage) -> list[str]:
    with storage.session_factory() as s:
        return [m.kind for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_a5_aktivasi_asks_keycloak_nothing_and_queues_the_account(registration, flaky_keycloak,
                                                                   storage):
    confirmation = confirm(registration, SITI)
    flaky_keycloak.calls.clear()
    flaky_keycloak.down = True  # not even asked: the page answers without it
    accepted = registration.activate(confirmation.token)
    assert isinstance(accepted, ActivationAccepted)
    assert accepted.name == "Siti Rahmawati"
    assert flaky_keycloak.calls == []
    assert _outbox_kinds(storage) == ["akses.make_account"]
    assert audit_types(storage)[-1] == "akses.registration.accepted"


def test_a5_double_activation_accepts_once(registration, flaky_keycloak, storage, deliver):
    confirmation = confirm(registration, SITI)
    first = registration.activate(confirmation.token)
    again = registration.activate(confirmation.token)
    assert first == again and isinstance(first, ActivationAccepted)
    assert _outbox_kinds(storage) == ["akses.make_account"]
    deliver()
    assert len(flaky_keycloak.in_realm()) == 1
    assert len(flaky_keycloak.sent) == 1
    # After the account exists the same click still lands on the same page.
    assert isinstance(registration.activate(confirmation.token), ActivationAccepted)


def test_a5_concurrent_clicks_accept_once(registration, flaky_keycloak, storage, deliver):
    confirmation = confirm(registration, DANA)
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

    assert [type(r).__name__ for r in results] == ["ActivationAccepted"] * 2
    assert _outbox_kinds(storage) == ["akses.make_account"]
    deliver()
    assert flaky_keycloak.calls.count("create_user") == 1


def test_x5_database_down_at_aktivasi_accepts_nothing(registration, storage, monkeypatch):
    confirmation = confirm(registration, BUDI)

    def refuse(*_args: Any, **_kwargs: Any) -> bool:
        raise StorageError("OperationalError")

    with monkeypatch.context() as patch:
        patch.setattr(SqlRegistrations, "accept", refuse)
        assert isinstance(registration.activate(confirmation.token), TemporaryProblem)
    assert _outbox_kinds(storage) == []
    # The same confirmation page works once the database is back.
    assert isinstance(registration.activate(confirmation.token), ActivationAccepted)


@pytest.mark.parametrize("token", ["", "x" * 500, "not-a-token"])
def test_a5_unknown_tokens_are_not_found(registration, token):
    assert registration.activate(token) == RegistrationNotFound()


def test_a5_another_portals_registration_is_not_activated_here(registration, storage, clock):
    """A token is its portal's: an OSS registration's token is unknown to AKSes's Aktivasi."""
    from gerbang_sidecar.domain.tokens import new_token, token_hash

    token = new_token()
    with storage.transaction() as tx:
        tx.registrations.add(token_hash=token_hash(token), realm="oss",
                             registration_type="ktp", data={"data": {}}, locale="id",
                             now=clock())
    assert registration.activate(token) == RegistrationNotFound()
    assert _outbox_kinds(storage) == []
    with storage.session_factory() as session:
        assert session.scalars(select(Registration.status)).one() == "pending_confirmation"


def test_x4_activated_registration_keeps_only_the_name(registration, storage, flaky_keycloak,
                                                       deliver):
    confirmation = confirm(registration, SITI)
    registration.activate(confirmation.token)
    deliver()
    [user] = flaky_keycloak.in_realm()
    with storage.session_factory() as s:
        row = s.scalars(select(Registration)).one()
        assert row.data == {"name": "Siti Rahmawati"}
        assert row.keycloak_user_id == user.id
