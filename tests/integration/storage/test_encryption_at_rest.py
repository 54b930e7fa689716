"""X3: personal identifiers are encrypted at rest and found by blind index, on disk."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
from sqlalchemy import select, text

from gerbang_sidecar.adapters.ca.hierarchy import LocalCertificateAuthority, create_hierarchy
from gerbang_sidecar.adapters.storage.crypto import (
    DecryptionError,
    KeyConfigError,
    KeyRing,
    StorageKeys,
    key_material,
)
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.adapters.storage.models import IdentityRecord
from gerbang_sidecar.domain.certificates.profiles import Product, person_subject, profile_for
from gerbang_sidecar.migrations import upgrade
from gerbang_sidecar.ports.storage import DuplicateIdentifier
from support.ca_fixtures import new_subscriber_key

NIK = "3174054507900003"
PASSPORT = "C4829173"
PHONE = "+6281234567890"
EMAIL = "Siti.Rahma@Example.co.id"


def add(storage: Storage, clock, kind: str, value: str, realm: str = "akses",
        subject_id: str | None = None) -> int:
    with storage.transaction() as s:
        return s.identities.add(realm=realm, kind=kind, value=value,
                                      created_at=clock(), subject_id=subject_id).id


def raw_bytes_of_sqlite(url: str) -> bytes:
    path = Path(url.removeprefix("sqlite:///"))
    # The write-ahead log holds recent pages too; read every file of the database.
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def raw_bytes_of_postgres(storage: Storage, data_dir: Path) -> bytes:
    with storage.engine.connect() as conn:
        conn.execute(text("CHECKPOINT"))
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


@pytest.fixture
def raw_database_bytes(request, database_url, storage):
    def read() -> bytes:
        if database_url.startswith("sqlite"):
            storage.engine.dispose()
            return raw_bytes_of_sqlite(database_url)
        return raw_bytes_of_postgres(storage, request.getfixturevalue("postgres_data_dir"))
    return read


def test_x3_nik_not_readable_in_database_file(storage, clock, raw_database_bytes):
    # Control: a plain column of the same row is visible, so the scan does see the data.
    add(storage, clock, "nik", NIK, subject_id="control-marker-7f3a")
    data = raw_database_bytes()
    assert b"control-marker-7f3a" in data
    assert NIK.encode() not in data
    assert NIK.encode("utf-16-le") not in data


def test_x3_passport_and_phone_not_readable_in_database_file(storage, clock,
                                                             raw_database_bytes):
    add(storage, clock, "passport", PASSPORT)
    add(storage, clock, "phone", PHONE)
    add(storage, clock, "email", EMAIL, subject_id="control-marker-9c1d")
    data = raw_database_bytes()
    assert b"control-marker-9c1d" in data
    for secret in (PASSPORT, PHONE, PHONE.removeprefix("+"), EMAIL, EMAIL.lower()):
        assert secret.encode() not in data, secret


def test_x3_value_reads_back_decrypted(storage, clock):
    record_id = add(storage, clock, "nik", NIK, subject_id="kc-user-1")
    with storage.transaction() as s:
        [record] = s.identities.of_subject(realm="akses", subject_id="kc-user-1")
    assert record.id == record_id and record.value == NIK


def test_x3_blind_index_lookup(storage, clock):
    add(storage, clock, "nik", NIK, subject_id="kc-1")
    add(storage, clock, "email", EMAIL, subject_id="kc-1")
    with storage.transaction() as s:
        records = s.identities
        found = records.find(realm="akses", kind="nik", value=f" {NIK} ")
        assert found is not None and found.subject_id == "kc-1"
        # Emails match whatever their case; passports and SIDs likewise.
        assert records.exists(realm="akses", kind="email", value=EMAIL.upper())
        assert not records.exists(realm="akses", kind="nik", value="3174054507900004")
        assert not records.exists(realm="oss", kind="nik", value=NIK)
        # The same digits as another kind are another identifier.
        assert not records.exists(realm="akses", kind="phone", value=NIK)


def test_x3_same_identifier_refused_twice_in_a_realm(storage, clock):
    add(storage, clock, "passport", PASSPORT)
    with pytest.raises(DuplicateIdentifier):
        add(storage, clock, "passport", PASSPORT.lower())
    add(storage, clock, "passport", PASSPORT, realm="oss")  # other realm, other account


def test_x3_duplicate_leaves_the_callers_transaction_usable(storage, clock):
    add(storage, clock, "nik", NIK)
    with storage.transaction() as s:
        records = s.identities
        with pytest.raises(DuplicateIdentifier):
            records.add(realm="akses", kind="nik", value=NIK, created_at=clock())
        records.add(realm="akses", kind="email", value=EMAIL, created_at=clock())
    with storage.transaction() as s:
        assert s.identities.exists(realm="akses", kind="email", value=EMAIL)


def test_x3_blind_index_is_stable_across_restarts(database_url, keys, clock):
    first = Storage.create(database_url, keys)
    upgrade(first.engine)
    add(first, clock, "nik", NIK)
    first.dispose()
    again = Storage.create(database_url, keys)
    with again.transaction() as s:
        assert s.identities.exists(realm="akses", kind="nik", value=NIK)
    again.dispose()


def test_x3_rows_are_unreadable_with_another_key(storage, database_url, clock):
    add(storage, clock, "nik", NIK)
    foreign = StorageKeys.from_settings(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
    other = Storage.create(database_url, foreign)
    try:
        with other.session_factory() as s, pytest.raises(DecryptionError):
            s.scalars(select(IdentityRecord)).all()
    finally:
        other.dispose()


def test_x3_pii_key_rotation_keeps_old_rows_readable(database_url, clock):
    old, new, blind = (secrets.token_urlsafe(32) for _ in range(3))
    before = Storage.create(database_url, StorageKeys.from_settings(old, blind))
    upgrade(before.engine)
    add(before, clock, "nik", NIK, subject_id="kc-1")
    before.dispose()
    after = Storage.create(database_url, StorageKeys.from_settings(f"{new},{old}", blind))
    try:
        add(after, clock, "phone", PHONE, subject_id="kc-1")
        with after.transaction() as s:
            values = [r.value for r in s.identities.of_subject(realm="akses",
                                                                     subject_id="kc-1")]
        assert values == [NIK, PHONE]
        with after.engine.connect() as conn:
            blobs = [bytes(b) for b in conn.execute(
                text("SELECT value_encrypted FROM identity_records ORDER BY id")).scalars()]
        ring = after.keys.pii
        assert ring.needs_reencryption(blobs[0]) and not ring.needs_reencryption(blobs[1])
    finally:
        after.dispose()


def test_x3_encryption_uses_a_fresh_nonce_and_binds_the_column():
    ring = KeyRing([secrets.token_urlsafe(32)])
    one, two = ring.encrypt(NIK.encode(), "a.b"), ring.encrypt(NIK.encode(), "a.b")
    assert one != two
    assert ring.decrypt(one, "a.b") == NIK.encode()
    with pytest.raises(DecryptionError):
        ring.decrypt(one, "other.column")
    tampered = one[:-1] + bytes([one[-1] ^ 1])
    with pytest.raises(DecryptionError):
        ring.decrypt(tampered, "a.b")


def test_x3_key_settings_accept_base64_or_long_passphrases():
    raw = secrets.token_bytes(32)
    assert key_material(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    assert key_material(base64.b64encode(raw).decode()) == raw
    assert key_material("x" * 40) == b"x" * 40
    with pytest.raises(KeyConfigError):
        key_material("short")
    with pytest.raises(KeyConfigError):
        KeyRing([])


def test_x3_a_certificate_holder_s_name_is_not_readable_in_database_file(
        storage, clock, raw_database_bytes):
    """The name is in the certificate's subject, kept encrypted; the list reads it from there
    (it had a plain column of its own until migration 0022)."""
    name = "Sekar Ayuningtyas"
    authority = LocalCertificateAuthority(create_hierarchy(b"a-test-kek", now=clock()),
                                          b"a-test-kek", "http://127.0.0.1:5000")
    issued = authority.issue(
        new_subscriber_key(), person_subject(name, "BSSN", NIK), profile_for(Product.ESIGN),
        now=clock())
    with storage.transaction() as s:
        certificate_id = s.certificates.add_certificate(
            realm="bsre", user_id="control-marker-2b8e", serial_number="5E2A",
            product="esign", status="issued", enroll_method="web", note="",
            not_before=clock(), not_after=clock(), certificate=issued.certificate,
            pkcs12=b"p12", created_at=clock()).id
    with storage.transaction() as s:
        assert s.certificates.certificate(certificate_id).common_name == name.upper()
    data = raw_database_bytes()
    assert b"control-marker-2b8e" in data
    for secret in (name.upper(), name, NIK):
        assert secret.encode() not in data, secret
