"""X5 across an upgrade: AKSes registrations written before migration 0009 (the table became
every portal's ``registrations``) are still there, still readable, ids continuing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from gerbang_sidecar.adapters.storage.crypto import StorageKeys
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.migrations import upgrade

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def test_x5_registrations_survive_the_move_to_every_portals_table(database_url: str,
                                                                  keys: StorageKeys) -> None:
    upgrade(database_url, "0008")
    engine = create_engine(database_url)
    # The row as the 0008 code wrote it: data encrypted under the old table's name.
    sealed = keys.pii.encrypt(json.dumps({"data": {"name": "Siti"}, "form": {}}).encode(),
                              "akses_registrations.data")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO akses_registrations (id, token_hash, registration_type, "
            "data_encrypted, locale, status, created_at) VALUES "
            "(41, :hash, 'individu-lokal', :data, 'id', 'activating', :now)"),
            {"hash": b"h" * 32, "data": sealed, "now": NOW.replace(tzinfo=None)})
    engine.dispose()

    upgrade(database_url)
    storage = Storage.create(database_url, keys)
    try:
        with storage.transaction() as tx:
            row = tx.registrations.get(41)
            assert row is not None
            assert (row.realm, row.status, row.data["data"]["name"]) == \
                ("akses", "activating", "Siti")
            newer = tx.registrations.add(token_hash=b"n" * 32, realm="oss",
                                         registration_type="ktp", data={}, locale="id",
                                         now=NOW)
            assert newer.id > 41
    finally:
        storage.dispose()
