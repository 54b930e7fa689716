"""X1, X3, issue 11 item 4: the identity index follows Keycloak's accounts, so lookups by NIK,
passport, SID and phone need no attribute search -- accounts made, changed or deleted by an
administrator count at once, an identifier stays with one account, and no log names it."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy

from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.ports.keycloak import KeycloakUnavailable, NewUser
from gerbang_sidecar.ports.storage import DuplicateIdentifier
from gerbang_sidecar.services import identity_index as module
from gerbang_sidecar.services.identity_index import IdentityIndex, identity_index
from support.clock import FakeClock
from support.keycloak_fakes import FlakyKeycloak

REALM = "akses"
NIK = "3171015203900001"
OTHER_NIK = "3171015203900002"


@pytest.fixture
def keycloak() -> FlakyKeycloak:
    return FlakyKeycloak()


@pytest.fixture
def index(storage: Storage, keycloak: FlakyKeycloak, clock: FakeClock) -> IdentityIndex:
    return identity_index(storage, keycloak, clock, [REALM, "insw"])


def _admin_made(keycloak: FlakyKeycloak, name: str, realm: str = REALM, **attributes: str
                ) -> str:
    return keycloak.create_user(realm, NewUser(
        username=name, email=f"{name}@example.com", first_name="Dibuat Admin",
        email_verified=True, attributes=attributes))


def _owners(storage: Storage, kind: str, value: str, realm: str = REALM) -> set[str]:
    with storage.transaction() as tx:
        return tx.identities.owners(realm=realm, pairs=[(kind, value)])


def test_x1_an_account_made_by_an_admin_is_found_after_catching_up(storage, keycloak, index):
    index.catch_up(REALM)  # no mark yet: the realm is read whole (empty here)
    owner = _admin_made(keycloak, "lama", nik=NIK, sid="idd120390482615",
                        phoneNumber="+6281234567890", passport="tr5839201")
    assert _owners(storage, "nik", NIK) == set()
    index.catch_up(REALM)
    for kind, value in (("nik", NIK), ("sid", "IDD120390482615"), ("passport", "TR5839201"),
                        ("phone", "+6281234567890"), ("email", "lama@example.com")):
        assert _owners(storage, kind, value) == {owner}, kind


def test_x1_a_new_database_reads_the_realm_whole(storage, keycloak, index):
    owner = _admin_made(keycloak, "lama", nik=NIK)
    keycloak.account_log.clear()  # made before any event was kept: only a full read finds it
    index.catch_up(REALM)
    assert _owners(storage, "nik", NIK) == {owner}


def test_x1_a_changed_identifier_moves_and_a_deleted_account_lets_go(storage, keycloak,
                                                                      index):
    owner = _admin_made(keycloak, "lama", nik=NIK)
    index.catch_up(REALM)
    keycloak.update_user(REALM, owner, attributes={"nik": OTHER_NIK})
    index.catch_up(REALM)
    assert _owners(storage, "nik", NIK) == set()
    assert _owners(storage, "nik", OTHER_NIK) == {owner}
    keycloak.delete_user(REALM, owner)
    index.catch_up(REALM)
    assert _owners(storage, "nik", OTHER_NIK) == set()
    assert _owners(storage, "email", "lama@example.com") == set()


def test_x1_a_rebuild_releases_every_departed_accounts_identifiers_at_once(storage, keycloak,
                                                                           index):
    niks = [f"31710152039000{n:02d}" for n in range(1, 5)]
    made = [_admin_made(keycloak, f"pergi{n}", nik=nik) for n, nik in enumerate(niks)]
    index.rebuild(REALM)
    for owner in made[:3]:
        keycloak.delete_user(REALM, owner)
    deletes: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("DELETE FROM IDENTITY_RECORDS"):
            deletes.append(statement)

    sqlalchemy.event.listen(storage.engine, "before_cursor_execute", seen)
    try:
        index.rebuild(REALM)
    finally:
        sqlalchemy.event.remove(storage.engine, "before_cursor_execute", seen)
    for n, nik in enumerate(niks[:3]):
        assert _owners(storage, "nik", nik) == set()
        assert _owners(storage, "email", f"pergi{n}@example.com") == set()
    assert _owners(storage, "nik", niks[3]) == {made[3]}
    with storage.transaction() as tx:
        assert tx.identities.subjects(realm=REALM) == {made[3]}
    assert len(deletes) == 1  # the three departed accounts in one statement


def test_x1_a_realm_records_only_what_its_registration_records(storage, keycloak, index):
    # INSW keeps no NIK record: one person may act for several organisations (I0).
    owner = _admin_made(keycloak, "wakil", realm="insw", nik=NIK, phoneNumber="+6281200001111")
    index.catch_up("insw")
    assert _owners(storage, "nik", NIK, realm="insw") == set()
    assert _owners(storage, "phone", "+6281200001111", realm="insw") == {owner}


def test_x3_an_identifier_shared_by_two_accounts_stays_with_the_first_and_is_not_logged(
        storage, keycloak, index, caplog):
    first = _admin_made(keycloak, "pertama", nik=NIK)
    index.catch_up(REALM)
    _admin_made(keycloak, "kedua", nik=NIK)
    with caplog.at_level(logging.INFO):
        index.catch_up(REALM)
    assert _owners(storage, "nik", NIK) == {first}
    assert "shares its nik" in caplog.text
    assert NIK not in caplog.text and "kedua" not in caplog.text


def test_x1_a_change_is_followed_once_however_often_lookups_catch_up(keycloak, index):
    _admin_made(keycloak, "lama", nik=NIK)
    index.catch_up(REALM)
    index.catch_up(REALM)  # reads the change once more: it was inside the overlap
    fetched = []
    original = keycloak.get_user
    keycloak.get_user = lambda realm, user_id: fetched.append(user_id) or original(realm,
                                                                                   user_id)
    for _ in range(3):
        index.catch_up(REALM)
    assert fetched == []


def test_x1_another_realm_catching_up_does_not_make_a_quiet_one_follow_again(
        keycloak, index, monkeypatch):
    monkeypatch.setattr(module, "OVERLAP_MS", 1)  # the fake's clock counts changes, not ms
    index.catch_up(REALM)  # both realms have their mark (read whole the first time)
    index.catch_up("insw")
    _admin_made(keycloak, "sepi", nik=NIK)
    index.catch_up(REALM)
    for n in range(3):  # later changes in another realm only
        _admin_made(keycloak, f"ramai{n}", realm="insw", nik=f"31710152039000{n:02d}")
    index.catch_up("insw")
    fetched = []
    original = keycloak.get_user
    keycloak.get_user = lambda realm, user_id: fetched.append(user_id) or original(realm,
                                                                                   user_id)
    assert index.catch_up(REALM) is False  # its last change is read again, not followed
    assert fetched == []


def test_x1_a_mass_change_reads_the_realm_instead(storage, keycloak, index, monkeypatch):
    index.catch_up(REALM)
    monkeypatch.setattr(module, "REBUILD_AFTER", 2)
    made = {_admin_made(keycloak, f"impor{n}", nik=f"31710152039000{n:02d}")
            for n in range(1, 5)}
    rebuilt = []
    original = index.rebuild
    index.rebuild = lambda realm: rebuilt.append(realm) or original(realm)  # type: ignore
    index.catch_up(REALM)
    assert rebuilt == [REALM]
    assert set().union(*(_owners(storage, "nik", f"31710152039000{n:02d}")
                         for n in range(1, 5))) == made


def test_x1_keycloak_down_stops_the_lookup_and_the_chore_goes_on(keycloak, index, caplog):
    keycloak.down = True
    with pytest.raises(KeycloakUnavailable):
        index.catch_up(REALM)
    with caplog.at_level(logging.WARNING):
        assert index.run() == 0
    assert "not brought up to date (KeycloakUnavailable)" in caplog.text


def test_x1_activation_keeps_what_the_index_recorded_for_the_same_account(storage, clock):
    # The index may record a new account between its creation and its activation.
    pairs = [("nik", NIK), ("email", "baru@example.com")]
    with storage.transaction() as tx:
        assert tx.identities.hold_all(realm=REALM, accounts={"u-1": pairs[:1]},
                                      created_at=clock()) == []
        tx.identities.add_all(realm=REALM, pairs=pairs, created_at=clock(), subject_id="u-1")
    with storage.transaction() as tx:
        assert tx.identities.owners(realm=REALM, pairs=pairs) == {"u-1"}
        with pytest.raises(DuplicateIdentifier):
            tx.identities.add_all(realm=REALM, pairs=pairs[:1], created_at=clock(),
                                  subject_id="u-2")


def test_x1_sync_marks_only_move_forward(storage):
    with storage.transaction() as tx:
        assert tx.sync_marks.get("feed") is None
        tx.sync_marks.advance("feed", 10)
        tx.sync_marks.advance("feed", 5)
    with storage.transaction() as tx:
        assert tx.sync_marks.get("feed") == 10


def test_x1_a_page_of_accounts_is_held_at_once_and_a_shared_key_goes_to_the_first(storage,
                                                                                   clock):
    with storage.transaction() as tx:
        refused = tx.identities.hold_all(realm=REALM, created_at=clock(), accounts={
            "u-1": [("nik", NIK), ("email", "satu@example.com")],
            "u-2": [("nik", NIK), ("email", "dua@example.com")],
            "u-3": [("nik", OTHER_NIK)]})
    assert refused == ["nik"]
    with storage.transaction() as tx:
        assert tx.identities.owners(realm=REALM, pairs=[("nik", NIK)]) == {"u-1"}
        assert tx.identities.owners(realm=REALM, pairs=[("email", "dua@example.com")]) == {"u-2"}
        # Again with u-1 changed: its old email goes, the rest stays as it was.
        assert tx.identities.hold_all(realm=REALM, created_at=clock(), accounts={
            "u-1": [("nik", NIK)], "u-3": [("nik", OTHER_NIK)]}) == []
    with storage.transaction() as tx:
        assert tx.identities.owners(realm=REALM, pairs=[("email", "satu@example.com")]) == set()
        assert tx.identities.subjects(realm=REALM) == {"u-1", "u-2", "u-3"}


def test_x1_a_lookup_beside_a_catch_up_that_changed_the_index_is_asked_again(storage,
                                                                              keycloak,
                                                                              index):
    index.catch_up(REALM)
    owner = _admin_made(keycloak, "lama", nik=NIK)
    answers = []

    def lookup() -> set[str]:
        answers.append(_owners(storage, "nik", NIK))
        return answers[-1]

    assert index.looked_up(REALM, lookup) == {owner}
    assert len(answers) in (1, 2)  # once when the catch-up won the race, else twice
    answers.clear()
    assert index.looked_up(REALM, lookup) == {owner}
    assert len(answers) == 1  # nothing new: asked once


def test_x1_a_lookup_that_finds_the_realm_being_read_waits_instead_of_reading_it_too(
        keycloak, index, monkeypatch):
    import threading

    readings: list[str] = []
    monkeypatch.setattr(index, "rebuild", lambda realm: readings.append(realm) or 0)
    index.catch_up(REALM)  # reads it: no mark yet (and this stand-in sets none)
    assert readings == [REALM]
    # Another thread of this process is reading the realm now (it holds the realm's lock).
    reading = index._rebuilding[REALM]
    reading.acquire()
    lookup = threading.Thread(target=index.catch_up, args=(REALM,))
    lookup.start()
    _until_waiting_in(lookup, "_rebuild_once")
    assert lookup.is_alive()  # waiting for that reading, not reading itself
    reading.release()
    lookup.join(10)
    assert not lookup.is_alive() and readings == [REALM]


def _until_waiting_in(thread, function: str) -> None:  # type: ignore[no-untyped-def]
    """Until ``thread`` is inside ``function`` (no fixed wait: a busy machine only slows it)."""
    import sys
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        frame = sys._current_frames().get(thread.ident)
        while frame is not None:
            if frame.f_code.co_name == function:
                return
            frame = frame.f_back
        time.sleep(0.001)
    raise AssertionError(f"{thread.name} never reached {function}")


def _registered(storage: Storage, clock: FakeClock, owner: str, realm: str = "insw") -> int:
    """A registration that made ``owner``'s account and kept a document (INSW's Surat Kuasa)."""
    now = clock()
    with storage.transaction() as tx:
        row = tx.registrations.add(token_hash=owner.encode(), realm=realm,
                                   registration_type="organisasi", data={"name": "Agus"},
                                   locale="id", now=now)
        tx.registrations.put_document(row.id, kind="surat_kuasa", media_type="application/pdf",
                                      content=b"%PDF-1.7", now=now)
        assert tx.registrations.accept(owner.encode(), realm=realm, now=now,
                                       pending_since=now - timedelta(days=1))
        assert tx.registrations.mark_activated(row.id, keycloak_user_id=owner, now=now,
                                               data={"name": "Agus"})
        return row.id


def _kept(storage: Storage, registration_id: int) -> tuple[bool, bool]:
    with storage.transaction() as tx:
        return (tx.registrations.get(registration_id) is not None,
                tx.registrations.document(registration_id, "surat_kuasa") is not None)


@pytest.mark.parametrize("how", ["catch_up", "rebuild"])
def test_x3_a_deleted_accounts_registration_and_surat_kuasa_go_with_it(
        storage: Storage, keycloak: FlakyKeycloak, index: IdentityIndex, clock: FakeClock,
        how: str) -> None:
    leaving = _admin_made(keycloak, "pergi", realm="insw")
    staying = _admin_made(keycloak, "tinggal", realm="insw")
    gone_row, kept_row = _registered(storage, clock, leaving), _registered(storage, clock,
                                                                           staying)
    index.rebuild("insw")
    assert _kept(storage, gone_row) == (True, True)  # the account's authority, while it lives
    keycloak.delete_user("insw", leaving)
    if how == "rebuild":
        keycloak.account_log.clear()  # deleted while nobody watched: the full read finds it
        index.rebuild("insw")
    else:
        index.catch_up("insw")
    assert _kept(storage, gone_row) == (False, False)
    assert _kept(storage, kept_row) == (True, True)


def test_x3_a_rebuild_that_misses_a_live_account_keeps_its_registration(
        storage: Storage, keycloak: FlakyKeycloak, index: IdentityIndex, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages read by offset skip an account when another is deleted meanwhile: its
    registration (a Surat Kuasa) is asked of Keycloak before anything is forgotten."""
    alive = _admin_made(keycloak, "hidup", realm="insw")
    row = _registered(storage, clock, alive)
    listed = keycloak.list_users
    monkeypatch.setattr(keycloak, "list_users", lambda realm, *, first, count: [
        u for u in listed(realm, first=first, count=count) if u.id != alive])
    index.rebuild("insw")
    assert _kept(storage, row) == (True, True)
