"""X5 (nothing lost that was accepted): a deleted registration's or reset request's id is never
handed out again -- outbox messages and audit events name them by id, and a new row with an
old id had its message dropped as a duplicate of the old one (SQLite reused the highest id
after a delete until migration 0020). The migration keeps every row and uploaded document."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, event, text

from gerbang_sidecar.adapters.storage.crypto import StorageKeys
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.migrations import upgrade
from gerbang_sidecar.ports.storage import Transaction

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def _registration(tx: Transaction, n: int) -> int:
    return tx.registrations.add(token_hash=bytes([n]) * 32, realm="oss",
                                registration_type="paspor", data={}, locale="id",
                                now=NOW).id


def test_x5_the_newest_registrations_id_is_not_given_again_after_it_is_deleted(
        storage: Storage) -> None:
    with storage.transaction() as tx:
        first = _registration(tx, 1)
        assert tx.registrations.accept(bytes([1]) * 32, realm="oss", now=NOW,
                                       pending_since=NOW - timedelta(hours=1))
        assert tx.registrations.mark_activated(first, keycloak_user_id="u-1", now=NOW, data={})
    with storage.transaction() as tx:
        assert tx.registrations.forget_accounts(realm="oss", keycloak_user_ids=["u-1"]) == 1
    with storage.transaction() as tx:
        assert _registration(tx, 2) > first


def test_x5_a_purged_reset_requests_id_is_not_given_again(storage: Storage) -> None:
    def request(tx: Transaction, n: int) -> int:
        return tx.password_resets.add_request(token_hash=bytes([n]) * 32, realm="akses",
                                              identifier="x", channel="email", locale="id",
                                              now=NOW)

    with storage.transaction() as tx:
        first = request(tx, 1)
    with storage.transaction() as tx:
        tx.password_resets.purge_requests(created_before=NOW + timedelta(days=1))
    with storage.transaction() as tx:
        assert request(tx, 2) > first


def test_x5_migration_0020_keeps_rows_documents_and_their_cascade(
        database_url: str, keys: StorageKeys) -> None:
    upgrade(database_url, "0019")
    engine = create_engine(database_url)
    if engine.dialect.name == "sqlite":
        # The sidecar's own connections have foreign keys on: the documents must survive
        # the table copy even then.
        event.listen(engine, "connect",
                     lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
    sealed = keys.pii.encrypt(json.dumps({"name": "Siti"}).encode(), "akses_registrations.data")
    naive = NOW.replace(tzinfo=None)
    with engine.begin() as conn:  # rows as the 0019 code wrote them
        conn.execute(text(
            "INSERT INTO registrations (token_hash, realm, registration_type, "
            "data_encrypted, locale, status, created_at) VALUES "
            "(:hash, 'insw', 'organisasi', :data, 'id', 'in_review', :now)"),
            {"hash": b"h" * 32, "data": sealed, "now": naive})
        old = conn.execute(text("SELECT id FROM registrations")).scalar_one()
        conn.execute(text(
            "INSERT INTO registration_documents (registration_id, kind, media_type, size, "
            "content_encrypted, created_at) VALUES (:old, 'surat_kuasa', 'application/pdf', 4, "
            ":blob, :now)"),
            {"old": old, "now": naive,
             "blob": keys.pii.encrypt(b"%PDF", "registration_documents.content")})
    upgrade(engine)
    engine.dispose()
    storage = Storage.create(database_url, keys)
    try:
        with storage.transaction() as tx:
            row = tx.registrations.get(old)
            assert row is not None and row.data == {"name": "Siti"}
            assert [d.kind for d in tx.registrations.documents(old)] == ["surat_kuasa"]
            assert tx.registrations.delete_in_review(old)
        with storage.transaction() as tx:
            assert list(tx.registrations.documents(old)) == []  # ON DELETE CASCADE holds
            assert _registration(tx, 3) > old
    finally:
        storage.dispose()


def test_x5_migration_0020_continues_after_ids_deleted_before_it(
        database_url: str, keys: StorageKeys) -> None:
    """The outbox still names the ids deleted before the upgrade (the daily purge leaves the
    reset requests' table nearly empty): the new rows start after them."""
    upgrade(database_url, "0019")
    engine = create_engine(database_url)
    naive = NOW.replace(tzinfo=None)
    with engine.begin() as conn:
        for key in ("password_reset:41:1", "oss_make_account:17", "akses_activation_email:"
                    "23:2026-12-03T08:00:00+00:00"):
            conn.execute(text(
                "INSERT INTO outbox_messages (kind, idempotency_key, status, attempts, "
                "created_at, next_attempt_at) VALUES ('k', :key, 'sent', 1, :now, :now)"),
                {"key": key, "now": naive})
        conn.execute(text(
            "INSERT INTO audit_events (realm, event_type, occurred_at, details) VALUES "
            "('insw', 'insw.registration.rejected', :now, :details)"),
            {"now": naive, "details": json.dumps({"registration_id": 29})})
    engine.dispose()
    upgrade(database_url)
    storage = Storage.create(database_url, keys)
    try:
        with storage.transaction() as tx:
            registration = _registration(tx, 5)
            request = tx.password_resets.add_request(
                token_hash=b"r" * 32, realm="akses", identifier="x", channel="email",
                locale="id", now=NOW)
        if storage.engine.dialect.name == "sqlite":  # PostgreSQL never handed them out
            assert registration > 29 and request > 41
    finally:
        storage.dispose()
