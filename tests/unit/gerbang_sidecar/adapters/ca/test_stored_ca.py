"""Issue 12 (X7): the stored hierarchy always gets its time-stamping authority -- ``ca-init``
(``ensure``) makes it with the rest, completes a hierarchy made before migration 0015, and a
deployment that skipped ``ca-init`` gets it on its first timestamp; one TSA, however many
processes race."""

from __future__ import annotations

from datetime import UTC, datetime

from asn1crypto import algos, tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gerbang_sidecar.adapters.ca.hierarchy import create_hierarchy
from gerbang_sidecar.adapters.ca.stored import StoredCertificateAuthority
from gerbang_sidecar.adapters.storage.engine import Storage

KEK = b"a key-encryption key from the environment"
URL = "https://gerbang.example.test"
NOW = datetime.now(UTC).replace(microsecond=0)


def _old_hierarchy(storage: Storage) -> None:
    """A row as the code of migration 0014 wrote it: no TSA."""
    material = create_hierarchy(KEK, now=NOW)
    with storage.transaction() as tx:
        tx.certificates.add_authority(
            root_certificate=material.root_certificate, root_key=material.root_key,
            issuing_certificate=material.issuing_certificate, issuing_key=material.issuing_key,
            responder_certificate=material.responder_certificate,
            responder_key=material.responder_key, now=NOW)


def _tsa_of(storage: Storage) -> bytes | None:
    with storage.transaction() as tx:
        row = tx.certificates.authority()
        assert row is not None
        return None if row.tsa_certificate is None else bytes(row.tsa_certificate)


def _request() -> bytes:
    return tsp.TimeStampReq({"version": "v1", "message_imprint": {
        "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
        "hashed_message": b"\x02" * 32}, "cert_req": True}).dump()


def test_x7_ca_init_makes_the_tsa_with_the_hierarchy(storage: Storage) -> None:
    ca = StoredCertificateAuthority(storage, KEK, URL)
    assert ca.ensure(now=NOW) is True
    tsa = _tsa_of(storage)
    assert tsa is not None
    issuing = x509.load_der_x509_certificate(ca.chain()[0])
    assert x509.load_pem_x509_certificate(tsa).issuer == issuing.subject
    assert ca.ensure(now=NOW) is False  # once
    assert _tsa_of(storage) == tsa


def test_x7_ca_init_completes_a_hierarchy_made_before_the_tsa(storage: Storage) -> None:
    _old_hierarchy(storage)
    assert _tsa_of(storage) is None
    assert StoredCertificateAuthority(storage, KEK, URL).ensure(now=NOW) is True
    assert _tsa_of(storage) is not None
    assert StoredCertificateAuthority(storage, KEK, URL).ensure(now=NOW) is False


def test_x7_without_ca_init_the_first_timestamp_adds_the_tsa_once(storage: Storage) -> None:
    _old_hierarchy(storage)
    first, second = (StoredCertificateAuthority(storage, KEK, URL) for _ in range(2))
    assert second.chain()  # loaded before the TSA existed, like a second worker
    reply = tsp.TimeStampResp.load(first.timestamp(_request(), now=NOW))
    assert reply["status"]["status"].native == "granted"
    tsa = _tsa_of(storage)
    assert tsa is not None
    again = tsp.TimeStampResp.load(second.timestamp(_request(), now=NOW))
    carried = {c.chosen.dump() for c in again["time_stamp_token"]["content"]["certificates"]}
    assert x509.load_pem_x509_certificate(tsa).public_bytes(
        serialization.Encoding.DER) in carried  # the same TSA, not a second one
    with storage.transaction() as tx:  # the loser of a race changes nothing
        assert tx.certificates.add_timestamping(tsa_certificate=b"x", tsa_key=b"y") is False
    assert _tsa_of(storage) == tsa
