"""X6: the OCSP responder's reuse. A request without a nonce (RFC 5019) is answered with the
same pre-signed bytes until half the response's validity has passed or a certificate is
revoked -- by any process: a revocation recorded through another Store is answered on the
next request. A request with a nonce is signed afresh, the nonce echoed. A certificate
recorded after the responder first heard of its serial is good, never a remembered
"unknown"; the database down is tryLater."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from gerbang_sidecar.adapters.ca.hierarchy import (
    CaMaterial,
    LocalCertificateAuthority,
    create_hierarchy,
)
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.adapters.storage.revocation_mark import RevocationMarkReader
from gerbang_sidecar.domain.certificates.profiles import Product, person_subject, profile_for
from gerbang_sidecar.ports.storage import StorageError
from gerbang_sidecar.services.certificates.ocsp import MAX_PRESIGNED, OcspResponder
from support.clock import FakeClock

KEK = b"a key-encryption key from the environment"
NOW = datetime.now(UTC).replace(microsecond=0)
# SHA-1 names the certificate in a CertID (RFC 5019 clients send it); it protects nothing.
SHA1 = hashes.SHA1()  # noqa: S303


@pytest.fixture(scope="module")
def ca() -> LocalCertificateAuthority:
    material: CaMaterial = create_hierarchy(KEK, now=NOW, environment="test")
    return LocalCertificateAuthority(material, KEK, "https://gerbang.example.test")


@pytest.fixture(scope="module")
def subscriber_key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def responder(storage: Storage, ca: LocalCertificateAuthority,
              clock: FakeClock) -> OcspResponder:
    return OcspResponder(storage, ca, clock, RevocationMarkReader(storage.engine))


@pytest.fixture
def other_process(sqlite_url: str, storage: Storage) -> Iterator[Storage]:
    """The same database through a connection pool of its own, as another sidecar has."""
    other = Storage.create(sqlite_url, storage.keys)
    yield other
    other.dispose()


def _issue(ca: LocalCertificateAuthority, key: bytes) -> x509.Certificate:
    issued = ca.issue(key, person_subject("Agus Wijaya", "BSSN", "3174041503800005"),
                      profile_for(Product.ESIGN), now=NOW)
    return x509.load_der_x509_certificate(issued.certificate)


def _record(storage: Storage, certificate: x509.Certificate) -> int:
    with storage.transaction() as tx:
        return tx.certificates.add_certificate(
            realm="bsre", user_id="holder", serial_number=f"{certificate.serial_number:X}",
            product="esign", status="issued", common_name="AGUS WIJAYA", enroll_method="web",
            note="", not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            certificate=certificate.public_bytes(serialization.Encoding.DER), pkcs12=b"p12",
            created_at=NOW).id


def _revoke(storage: Storage, certificate_id: int, at: datetime) -> None:
    with storage.transaction() as tx:
        assert tx.certificates.set_status(certificate_id, status="revoked", expected="issued",
                                          revoked_at=at, reason="key_compromise")


def _ask(ca: LocalCertificateAuthority, certificate: x509.Certificate,
         nonce: bytes | None = None) -> bytes:
    issuing = x509.load_der_x509_certificate(ca.chain()[0])
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuing, SHA1)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _status(der: bytes) -> ocsp.OCSPCertStatus:
    response = ocsp.load_der_ocsp_response(der)
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    return response.certificate_status


def test_x6_a_request_without_nonce_gets_the_same_signed_bytes_until_half_its_validity(
        responder: OcspResponder, storage: Storage, ca: LocalCertificateAuthority,
        subscriber_key: bytes, clock: FakeClock) -> None:
    certificate = _issue(ca, subscriber_key)
    _record(storage, certificate)
    request = _ask(ca, certificate)
    first = responder.respond(request)
    assert _status(first) == ocsp.OCSPCertStatus.GOOD
    clock.advance(minutes=29)
    assert responder.respond(request) == first  # not signed again
    clock.advance(minutes=1)  # half of the hour the response is valid
    renewed = responder.respond(request)
    assert renewed != first
    assert ocsp.load_der_ocsp_response(renewed).this_update_utc == clock()


def test_x6_a_revocation_by_another_process_is_answered_on_the_next_request(
        responder: OcspResponder, storage: Storage, other_process: Storage,
        ca: LocalCertificateAuthority, subscriber_key: bytes, clock: FakeClock) -> None:
    certificate = _issue(ca, subscriber_key)
    certificate_id = _record(storage, certificate)
    request = _ask(ca, certificate)
    nonced = _ask(ca, certificate, os.urandom(16))
    assert _status(responder.respond(request)) == ocsp.OCSPCertStatus.GOOD
    assert _status(responder.respond(nonced)) == ocsp.OCSPCertStatus.GOOD
    _revoke(other_process, certificate_id, clock())
    revoked = ocsp.load_der_ocsp_response(responder.respond(request))
    assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_reason == x509.ReasonFlags.key_compromise
    assert _status(responder.respond(_ask(ca, certificate, os.urandom(16)))) == \
        ocsp.OCSPCertStatus.REVOKED


def test_x6_a_request_with_a_nonce_is_signed_afresh_and_echoes_it(
        responder: OcspResponder, storage: Storage, ca: LocalCertificateAuthority,
        subscriber_key: bytes) -> None:
    certificate = _issue(ca, subscriber_key)
    _record(storage, certificate)
    nonces = [os.urandom(16), os.urandom(16)]
    answers = [ocsp.load_der_ocsp_response(responder.respond(_ask(ca, certificate, nonce)))
               for nonce in nonces]
    for answer, nonce in zip(answers, nonces, strict=True):
        assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
        assert answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    assert answers[0].signature != answers[1].signature


def test_x6_a_serial_first_unknown_is_good_once_its_certificate_is_recorded(
        responder: OcspResponder, storage: Storage, other_process: Storage,
        ca: LocalCertificateAuthority, subscriber_key: bytes) -> None:
    known = _issue(ca, subscriber_key)
    _record(storage, known)
    assert _status(responder.respond(_ask(ca, known))) == ocsp.OCSPCertStatus.GOOD
    fresh = _issue(ca, subscriber_key)  # asked about before its row is written
    request = _ask(ca, fresh)
    assert _status(responder.respond(request)) == ocsp.OCSPCertStatus.UNKNOWN
    _record(other_process, fresh)  # issued by another process; no revocation since
    assert _status(responder.respond(request)) == ocsp.OCSPCertStatus.GOOD
    assert _status(responder.respond(_ask(ca, fresh, os.urandom(8)))) == \
        ocsp.OCSPCertStatus.GOOD


def test_x6_malformed_and_other_issuers_get_their_error_status(
        responder: OcspResponder, ca: LocalCertificateAuthority, subscriber_key: bytes) -> None:
    malformed = ocsp.load_der_ocsp_response(responder.respond(b"not an ocsp request"))
    assert malformed.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    stranger = _issue(ca, subscriber_key)  # named as its own issuer: another CA's key hash
    request = ocsp.OCSPRequestBuilder().add_certificate(stranger, stranger, SHA1).build()
    answer = responder.respond(request.public_bytes(serialization.Encoding.DER))
    assert ocsp.load_der_ocsp_response(answer).response_status == \
        ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_x6_the_database_down_is_try_later(ca: LocalCertificateAuthority, storage: Storage,
                                           clock: FakeClock, subscriber_key: bytes) -> None:
    def down() -> object:
        raise StorageError("OperationalError")

    responder = OcspResponder(storage, ca, clock, down)
    answer = responder.respond(_ask(ca, _issue(ca, subscriber_key)))
    assert ocsp.load_der_ocsp_response(answer).response_status == \
        ocsp.OCSPResponseStatus.TRY_LATER


def test_x6_made_up_certids_cannot_grow_the_cache_without_bound(
        responder: OcspResponder, storage: Storage, ca: LocalCertificateAuthority,
        subscriber_key: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gerbang_sidecar.services.certificates.ocsp.MAX_PRESIGNED", 3)
    assert MAX_PRESIGNED > 3
    certificate = _issue(ca, subscriber_key)
    _record(storage, certificate)
    asked = ocsp.load_der_ocsp_request(_ask(ca, certificate))
    for n in range(5):  # the right key hash and serial, any issuer name hash
        request = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            bytes([n]) * 20, asked.issuer_key_hash, asked.serial_number, SHA1).build()
        assert _status(responder.respond(request.public_bytes(
            serialization.Encoding.DER))) == ocsp.OCSPCertStatus.GOOD
    generation = responder._generation
    assert generation is not None and len(generation.presigned) <= 3


def test_x6_the_mark_changes_with_every_revocation(
        storage: Storage, ca: LocalCertificateAuthority, subscriber_key: bytes) -> None:
    read = RevocationMarkReader(storage.engine)
    ids = [_record(storage, _issue(ca, subscriber_key)) for _ in range(2)]
    marks = [read()]
    for certificate_id in ids:  # the same revocation time twice: the count still moves
        _revoke(storage, certificate_id, NOW + timedelta(seconds=1))
        marks.append(read())
    assert len(set(marks)) == 3
