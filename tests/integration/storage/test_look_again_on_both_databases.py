"""X10: the accounts the sweep of unactivated accounts spared are found again when their
time comes, on SQLite and PostgreSQL alike (aware times against SQLite's naive column)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.ports.storage import Transaction

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def _activated(tx: Transaction, n: int, realm: str = "oss") -> int:
    token = bytes([n]) * 32
    registration = tx.registrations.add(token_hash=token, realm=realm,
                                        registration_type="paspor", data={}, locale="id",
                                        now=NOW)
    assert tx.registrations.accept(token, realm=realm, now=NOW,
                                   pending_since=NOW - timedelta(hours=1))
    assert tx.registrations.mark_activated(registration.id, keycloak_user_id=f"u-{n}",
                                           now=NOW, data={})
    return registration.id


def test_x10_spared_registrations_come_due_in_order_and_only_in_their_realm(
        storage: Storage) -> None:
    with storage.transaction() as tx:
        later, sooner, elsewhere, _never = (_activated(tx, 1), _activated(tx, 2),
                                           _activated(tx, 3, realm="akses"), _activated(tx, 4))
        week = NOW + timedelta(days=7)
        tx.registrations.look_again(later, NOW + timedelta(hours=5), spare_ends_at=week)
        tx.registrations.look_again(sooner, NOW + timedelta(hours=1), spare_ends_at=week)
        tx.registrations.look_again(elsewhere, NOW + timedelta(hours=1), spare_ends_at=week)
    with storage.transaction() as tx:
        due = tx.registrations.due_to_look_again
        assert [r.id for r in due(realm="oss", now=NOW, limit=10)] == []
        assert [r.id for r in due(realm="oss", now=NOW + timedelta(hours=6), limit=10)] == [
            sooner, later]
        assert [r.id for r in due(realm="oss", now=NOW + timedelta(hours=6), limit=1)] == [
            sooner]
        tx.registrations.look_again(sooner, None, spare_ends_at=None)
    with storage.transaction() as tx:
        assert [r.id for r in tx.registrations.due_to_look_again(
            realm="oss", now=NOW + timedelta(days=9), limit=10)] == [later]
        assert tx.registrations.get(later).spare_ends_at == NOW + timedelta(days=7)
