"""X1: the identity index releases departed accounts' identifiers in chunks of ids, on SQLite
and PostgreSQL alike (each caps the parameters of one statement)."""

from __future__ import annotations

REALM = "akses"


def test_x1_releasing_many_accounts_takes_them_in_chunks_and_counts_the_records(storage,
                                                                                clock):
    accounts = {f"u-{n}": [("nik", f"3171{n:012d}"), ("email", f"u{n}@example.com")]
                for n in range(501)}  # past one chunk of ids
    with storage.transaction() as tx:
        assert tx.identities.hold_all(realm=REALM, accounts=accounts, created_at=clock()) == []
        tx.identities.hold_all(realm="insw", accounts={"u-0": [("email", "u0@example.com")]},
                               created_at=clock())
    with storage.transaction() as tx:
        released = tx.identities.release_all(realm=REALM, subject_ids=set(accounts) - {"u-7"})
        assert released == 1000
        assert tx.identities.release_all(realm=REALM, subject_ids=[]) == 0
    with storage.transaction() as tx:
        assert tx.identities.subjects(realm=REALM) == {"u-7"}
        assert tx.identities.subjects(realm="insw") == {"u-0"}  # another realm's are kept
