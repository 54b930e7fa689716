"""X6 at scale: migration 0019 turns the revocation mark into one row started at the revoked
certificates' count; every revocation moves it once, nothing else does; 0019 can be undone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import create_engine, text

from gerbang_sidecar.adapters.storage.crypto import StorageKeys
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.migrations import alembic_config, upgrade

NOW = datetime.now(UTC).replace(microsecond=0)
NAIVE = NOW.replace(tzinfo=None)  # as raw SQL stores it


def _certificate(conn, serial: str, status: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text(
        "INSERT INTO certificates (realm, user_id, serial_number, product, status, common_name, "
        "enroll_method, note, not_before, not_after, certificate_encrypted, pkcs12_encrypted, "
        "created_at, revoked_at, revocation_reason, failed_passphrases) VALUES ('bsre', 'u', "
        ":serial, 'esign', :status, 'CN', 'server', '', :now, :later, :blob, :blob, :now, "
        ":revoked, :reason, 0)"),
        {"serial": serial, "status": status, "now": NAIVE, "later": NAIVE + timedelta(days=365),
         "blob": b"\x00", "revoked": NAIVE if status == "revoked" else None,
         "reason": "key_compromise" if status == "revoked" else None})


def test_x6_the_revocation_mark_starts_at_the_revoked_count_and_moves_per_revocation(
        database_url: str, keys: StorageKeys) -> None:
    upgrade(database_url, "0018")
    engine = create_engine(database_url)
    with engine.begin() as conn:  # rows as the 0018 code left them
        _certificate(conn, "A1", "revoked")
        _certificate(conn, "A2", "revoked")
        _certificate(conn, "A3", "issued")
        issued = conn.execute(text(
            "SELECT id FROM certificates WHERE serial_number = 'A3'")).scalar_one()
    upgrade(database_url)
    storage = Storage.create(database_url, keys)
    try:
        with storage.transaction() as tx:
            assert tx.certificates.revocation_mark() == 2
            assert tx.certificates.set_status(issued, status="renewed", expected="issued")
        with storage.transaction() as tx:
            assert tx.certificates.revocation_mark() == 2  # not a revocation
            assert tx.certificates.set_status(issued, status="revoked", expected="renewed",
                                              revoked_at=NOW, reason="superseded")
            # The same revocation a second time changes nothing, the mark neither.
            assert not tx.certificates.set_status(issued, status="revoked",
                                                  expected="renewed", revoked_at=NOW)
        with storage.transaction() as tx:
            assert tx.certificates.revocation_mark() == 3
    finally:
        storage.dispose()
    command.downgrade(alembic_config(database_url), "0018")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sync_marks")).scalar() == 0
    engine.dispose()
