"""X6, X7: the OCSP responder and the TSA get new keys before their certificates lapse
(docs/certificates.md, "Service keys"). The new responder certificate is a delegated
responder that ``openssl ocsp`` accepts; one renewal however many processes race; a process
that holds the old keys signs with the new ones after its next read of the row, and keeps
signing with the old ones while the database is away."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import algos, tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from gerbang_sidecar.adapters.ca.stored import RELOAD_SECONDS, StoredCertificateAuthority
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.domain.certificates.service_keys import ServiceKey
from gerbang_sidecar.ports.storage import StorageError
from support.ca_fixtures import issue_certificate, new_subscriber_key, ocsp_request

KEK = b"a key-encryption key from the environment"
URL = "https://gerbang.example.test"
NOW = datetime.now(UTC).replace(microsecond=0)
A_YEAR_ON = NOW + timedelta(days=366)


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _stored(storage: Storage) -> tuple[bytes, bytes | None]:
    with storage.transaction() as tx:
        row = tx.certificates.authority()
        assert row is not None and row.tsa_certificate is not None
        return bytes(row.responder_certificate), bytes(row.tsa_certificate)


def _signer_of(ocsp_der: bytes) -> x509.Certificate:
    response = ocsp.load_der_ocsp_response(ocsp_der)
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    return response.certificates[0]


def _tsa_of(reply_der: bytes) -> bytes:
    reply = tsp.TimeStampResp.load(reply_der)
    signer = reply["time_stamp_token"]["content"]["signer_infos"][0]["sid"].chosen
    return signer["serial_number"].native


def _timestamp_request() -> bytes:
    return tsp.TimeStampReq({"version": "v1", "message_imprint": {
        "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
        "hashed_message": b"\x03" * 32}, "cert_req": True}).dump()


@pytest.fixture
def authority(storage: Storage) -> StoredCertificateAuthority:
    ca = StoredCertificateAuthority(storage, KEK, URL)
    ca.ensure(now=NOW)
    return ca


def test_x6_nothing_is_renewed_before_it_is_due(storage: Storage,
                                                authority: StoredCertificateAuthority) -> None:
    before = _stored(storage)
    assert authority.renew_service_keys(now=NOW + timedelta(days=300)) == []
    assert _stored(storage) == before


def test_x6_x7_a_year_on_both_get_a_new_key_and_certificate(
        storage: Storage, authority: StoredCertificateAuthority, tmp_path: Path) -> None:
    old_responder, old_tsa = _stored(storage)
    renewed = authority.renew_service_keys(now=A_YEAR_ON)
    assert {r.service for r in renewed} == {ServiceKey.OCSP_RESPONDER, ServiceKey.TIMESTAMPING}
    responder_pem, tsa_pem = _stored(storage)
    assert responder_pem != old_responder and tsa_pem != old_tsa
    old = x509.load_pem_x509_certificate(old_responder)
    new = x509.load_pem_x509_certificate(responder_pem)
    assert new.subject == old.subject and new.public_key() != old.public_key()
    assert new.not_valid_before_utc >= A_YEAR_ON - timedelta(minutes=5)
    assert new.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == \
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING])
    assert authority.renew_service_keys(now=A_YEAR_ON) == []  # once

    # The renewing process answers with the new responder at once, and openssl takes it.
    certificate = issue_certificate(authority, new_subscriber_key(), A_YEAR_ON)
    answer = authority.ocsp(ocsp_request(authority, certificate),
                            lambda _serial: ("Issued", None, None), now=A_YEAR_ON)
    assert _signer_of(answer) == new
    assert _tsa_of(authority.timestamp(_timestamp_request(), now=A_YEAR_ON)) == \
        x509.load_pem_x509_certificate(tsa_pem).serial_number
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl")
    issuing, root = (x509.load_der_x509_certificate(d) for d in authority.chain())
    pem = serialization.Encoding.PEM
    (tmp_path / "chain.pem").write_bytes(issuing.public_bytes(pem) + root.public_bytes(pem))
    (tmp_path / "issuing.pem").write_bytes(issuing.public_bytes(pem))
    (tmp_path / "leaf.pem").write_bytes(certificate.public_bytes(pem))
    (tmp_path / "resp.der").write_bytes(answer)
    checked = subprocess.run(
        ["openssl", "ocsp", "-no_nonce", "-respin", str(tmp_path / "resp.der"),
         "-issuer", str(tmp_path / "issuing.pem"), "-cert", str(tmp_path / "leaf.pem"),
         "-CAfile", str(tmp_path / "chain.pem"), "-attime",
         str(int(A_YEAR_ON.timestamp()))], capture_output=True, text=True, check=False)
    assert "Response verify OK" in checked.stderr, checked.stderr
    # -attime moves the chain check a year on, not the status times (a warning about them).
    assert "good" in checked.stdout.split()


def test_x6_of_two_processes_renewing_at_once_one_wins(
        storage: Storage, authority: StoredCertificateAuthority) -> None:
    other = StoredCertificateAuthority(storage, KEK, URL)
    responder, _tsa = _stored(storage)
    with storage.transaction() as tx:  # the loser's compare-and-set changes nothing
        assert tx.certificates.replace_service_key(
            ServiceKey.OCSP_RESPONDER, old_certificate=b"not the stored one",
            certificate=b"x", key=b"y") is False
    assert _stored(storage)[0] == responder
    assert len(authority.renew_service_keys(now=A_YEAR_ON)) == 2
    assert other.renew_service_keys(now=A_YEAR_ON) == []


def test_x6_another_process_signs_with_the_new_responder_after_its_next_read(
        storage: Storage, authority: StoredCertificateAuthority) -> None:
    clock = Monotonic()
    ocsp_process = StoredCertificateAuthority(storage, KEK, URL, monotonic=clock)
    certificate = issue_certificate(authority, new_subscriber_key(), NOW)
    request = ocsp_request(authority, certificate)

    def signer() -> x509.Certificate:
        return _signer_of(ocsp_process.ocsp(request, lambda _s: ("Issued", None, None),
                                            now=A_YEAR_ON))

    old = signer()
    authority.renew_service_keys(now=A_YEAR_ON)
    assert signer() == old  # still valid for weeks: the old keys sign until the next read
    clock.now += RELOAD_SECONDS
    assert signer() != old
    assert signer() == x509.load_pem_x509_certificate(_stored(storage)[0])


def test_x6_the_database_away_at_the_next_read_keeps_the_keys_held(
        storage: Storage, authority: StoredCertificateAuthority,
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Monotonic()
    ocsp_process = StoredCertificateAuthority(storage, KEK, URL, monotonic=clock)
    chain = ocsp_process.chain()
    clock.now += RELOAD_SECONDS

    def away() -> None:
        raise StorageError("database unavailable")

    monkeypatch.setattr(storage, "transaction", away)
    assert ocsp_process.chain() == chain
    fresh = StoredCertificateAuthority(storage, KEK, URL)
    with pytest.raises(StorageError):
        fresh.chain()  # nothing held: the error is the caller's to answer (tryLater)
