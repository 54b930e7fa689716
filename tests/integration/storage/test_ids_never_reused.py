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
