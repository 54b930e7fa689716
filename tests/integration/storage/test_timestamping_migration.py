"""X7 across an upgrade: a hierarchy stored under migration 0014 keeps working after 0015 and
``ca-init`` (``ensure``) gives it its time-stamping authority, certified by the same issuing
CA; 0015 can be undone."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from cryptography import x509
from sqlalchemy import create_engine, inspect, text

from gerbang_sidecar.adapters.ca.hierarchy import create_hierarchy
from gerbang_sidecar.adapters.ca.stored import StoredCertificateAuthority
from gerbang_sidecar.adapters.storage.crypto import StorageKeys
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.migrations import alembic_config, upgrade

KEK = b"a key-encryption key from the environment"
NOW = datetime.now(UTC).replace(microsecond=0)


def _columns(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("certificate_authorities")}
    finally:
        engine.dispose()


def test_x7_a_hierarchy_from_before_0015_gets_its_tsa(database_url: str,
                                                     keys: StorageKeys) -> None:
    upgrade(database_url, "0014")
    material = create_hierarchy(KEK, now=NOW)
    engine = create_engine(database_url)
    with engine.begin() as conn:  # the row as the 0014 code wrote it
        conn.execute(text(
            "INSERT INTO certificate_authorities (name, root_certificate, root_key, "
            "issuing_certificate, issuing_key, responder_certificate, responder_key, "
            "created_at) VALUES ('issuing', :rc, :rk, :ic, :ik, :pc, :pk, :now)"),
            {"rc": material.root_certificate, "rk": material.root_key,
             "ic": material.issuing_certificate, "ik": material.issuing_key,
             "pc": material.responder_certificate, "pk": material.responder_key,
             "now": NOW.replace(tzinfo=None)})
    engine.dispose()

    upgrade(database_url)
    storage = Storage.create(database_url, keys)
    try:
        ca = StoredCertificateAuthority(storage, KEK, "https://gerbang.example.test")
        assert ca.ensure(now=NOW) is True  # what ca-init does after the migrations
        with storage.transaction() as tx:
            row = tx.certificates.authority()
            assert row is not None and row.tsa_certificate is not None
            tsa = x509.load_pem_x509_certificate(bytes(row.tsa_certificate))
        assert tsa.issuer == x509.load_pem_x509_certificate(
            material.issuing_certificate).subject
        assert ca.ensure(now=NOW) is False
    finally:
        storage.dispose()

    config = alembic_config(database_url)
    command.downgrade(config, "0014")
    assert "tsa_certificate" not in _columns(database_url)
    upgrade(database_url)
    assert {"tsa_certificate", "tsa_key"} <= _columns(database_url)
