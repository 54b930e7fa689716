"""X10: "Data Saya" holds the user's data, not other people's -- the officers who invited or
verified a BSrE account are named by the page and the audit trail, not in the export."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.services.account_data import AccountDataExport
from support.clock import FakeClock

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_x10_the_export_keeps_the_registration_but_not_the_officers_ids(
        storage: Storage) -> None:
    keycloak = FakeKeycloakUsers()
    user_id = keycloak.create_user("bsre", NewUser("dian@bssn.go.id", "dian@bssn.go.id",
                                                   "Dian Lestari"))
    with storage.transaction() as tx:
        row = tx.registrations.add(
            token_hash=b"t" * 32, realm="bsre", registration_type="undangan", locale="id",
            now=NOW, data={"name": "Dian Lestari", "instansi": "BSSN",
                           "invited_by": "officer-1", "verified_by": "officer-2"})
        assert tx.registrations.accept(b"t" * 32, realm="bsre", now=NOW,
                                       pending_since=NOW - timedelta(hours=1))
        assert tx.registrations.mark_activated(row.id, keycloak_user_id=user_id, now=NOW,
                                               data={**row.data})
    export = AccountDataExport(storage, keycloak, FakeClock(NOW)).export(
        "bsre", "BSrE AMS", user_id)
    assert export is not None
    [registration] = export.document["registrations"]
    assert registration["kept"] == {"name": "Dian Lestari", "instansi": "BSSN"}
