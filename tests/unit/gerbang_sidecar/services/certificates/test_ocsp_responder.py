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
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from gerbang_sidecar.adapters.ca.hierarchy import (
    CaMaterial,
    LocalCertificateAuthority,
    create_hierarchy,
)
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.adapters.storage.revocation_mark import RevocationMarkReader
from gerbang_sidecar.ports.storage import StorageError
from gerbang_sidecar.services.certificates.ocsp import MAX_PRESIGNED, OcspResponder
from support.ca_fixtures import (
    SHA1,
    issue_certificate,
    new_subscriber_key,
    ocsp_request,
    ocsp_status,
    record_certificate,
    revoke_certificate,
)
from support.clock import FakeClock

KEK = b"a key-encryption key from the environment"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def ca() -> LocalCertificateAuthority:
    material: CaMaterial = create_hierarchy(KEK, now=NOW, environment="test")
    return LocalCertificateAuthority(material, KEK, "https://gerbang.example.test")


@pytest.fixture(scope="module")
def subscriber_key() -> bytes:
    return new_subscriber_key()


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


def test_x6_a_request_without_nonce_gets_the_same_signed_bytes_until_half_its_validity(
        responder: OcspResponder, storage: Storage, ca: LocalCertificateAuthority,
        subscriber_key: bytes, clock: FakeClock) -> None:
    certificate = issue_certificate(ca, subscriber_key, NOW)
    record_certificate(storage, certificate, NOW)
    request = ocsp_request(ca, certificate)
    first = responder.respond(request)
    assert ocsp_status(first) == ocsp.OCSPCertStatus.GOOD
    clock.advance(minutes=29)
    assert responder.respond(request) == first  # not signed again
    clock.advance(minutes=1)  # half of the hour the response is valid
    renewed = responder.respond(request)
    assert renewed != first
    assert ocsp.load_der_ocsp_response(renewed).this_update_utc == clock()


def test_x6_a_revocation_by_another_process_is_answered_on_the_next_request(
        responder: OcspResponder, storage: Storage, other_process: Storage,
        ca: LocalCertificateAuthority, subscriber_key: bytes, clock: FakeClock) -> None:
    certificate = issue_certificate(ca, subscriber_key, NOW)
    certificate_id = record_certificate(storage, certificate, NOW)
    request = ocsp_request(ca, certificate)
    nonced = ocsp_request(ca, certificate, os.urandom(16))
    assert ocsp_status(responder.respond(request)) == ocsp.OCSPCertStatus.GOOD
    assert ocsp_status(responder.respond(nonced)) == ocsp.OCSPCertStatus.GOOD
    revoke_certificate(other_process, certificate_id, clock())
    revoked = ocsp.load_der_ocsp_response(responder.respond(request))
    assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_reason == x509.ReasonFlags.key_compromise
    assert ocsp_status(responder.respond(ocsp_request(ca, certificate, os.urandom(16)))) == \
        ocsp.OCSPCertStatus.REVOKED


def test_x6_a_request_with_a_nonce_is_signed_afresh_and_echoes_it(
        responder: OcspResponder, storage: Storage, ca: LocalCertificateAuthority,
        subscriber_key: bytes) -> None:
    certificate = issue_certificate(ca, subscriber_key, NOW)
    record_certificate(storage, certificate, NOW)
    nonces = [os.urandom(16), os.urandom(16)]
    answers = [ocsp.load_der_ocsp_response(responder.respond(ocsp_request(ca, certificate, nonce)))
               for nonce in nonces]
    for answer, nonce in zip(answers, nonces, strict=True):
        assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
        assert answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
    assert answers[0].signature != answers[1].signature


def test_x6_a_serial_first_unknown_is_good_once_its_certificate_is_recorded(
        responder: OcspResponder, storage: Storage, other_process: Storage,
        ca: LocalCertificateAuthority, subscriber_key: bytes) -> None:
    known = issue_certificate(ca, subscriber_key, NOW)
    record_certificate(storage, known, NOW)
    assert ocsp_status(responder.respond(ocsp_request(ca, known))) == ocsp.OCSPCertStatus.GOOD
    fresh = issue_certificate(ca, subscriber_key, NOW)  # asked about before its row is written
    request = ocsp_request(ca, fresh)
    assert ocsp_status(responder.respond(request)) == ocsp.OCSPCertStatus.UNKNOWN
    record_certificate(other_process, fresh, NOW)  # issued by another process; no revocation since
    assert ocsp_status(responder.respond(request)) == ocsp.OCSPCertStatus.GOOD
    assert ocsp_status(responder.respond(ocsp_request(ca, fresh, os.urandom(8)))) == \
        ocsp.OCSPCertStatus.GOOD


def test_x6_malformed_and_other_issuers_get_their_error_status(
        responder: OcspResponder, ca: LocalCertificateAuthority, subscriber_key: bytes) -> None:
    malformed = ocsp.load_der_ocsp_response(responder.respond(b"not an ocsp request"))
    assert malformed.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    # Named as its own issuer: another CA's key hash.
    stranger = issue_certificate(ca, subscriber_key, NOW)
    request = ocsp.OCSPRequestBuilder().add_certificate(stranger, stranger, SHA1).build()
    answer = responder.respond(request.public_bytes(serialization.Encoding.DER))
    assert ocsp.load_der_ocsp_response(answer).response_status == \
        ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_x6_the_database_down_is_try_later(ca: LocalCertificateAuthority, storage: Storage,
                                           clock: FakeClock, subscriber_key: bytes) -> None:
    def down() -> object:
        raise StorageError("OperationalError")

    responder = OcspResponder(storage, ca, clock, down)
    answer = responder.respond(ocsp_request(ca, issue_certificate(ca, subscriber_key, NOW)))
    assert ocsp.load_der_ocsp_response(answer).response_status == \
        ocsp.OCSPResponseStatus.TRY_LATER


def test_x6_made_up_certids_are_unauthorized_and_never_kept(
        responder: OcspResponder, storage: Storage, ca: LocalCertificateAuthority,
        subscriber_key: bytes) -> None:
    """A hostile review filled the kept answers with made-up issuer name hashes (about 2 KB
    each): only the issuing CA's own CertIDs are answered."""
    certificate = issue_certificate(ca, subscriber_key, NOW)
    record_certificate(storage, certificate, NOW)
    asked = ocsp.load_der_ocsp_request(ocsp_request(ca, certificate))
    for n in range(5):  # the right key hash and serial, any issuer name hash
        request = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            bytes([n]) * 20, asked.issuer_key_hash, asked.serial_number, SHA1).build()
        answer = ocsp.load_der_ocsp_response(responder.respond(request.public_bytes(
            serialization.Encoding.DER)))
        assert answer.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED
    generation = responder._generation
    assert generation is not None and not generation.presigned


def test_x6_the_kept_answers_stay_bounded(
        responder: OcspResponder, storage: Storage, ca: LocalCertificateAuthority,
        subscriber_key: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gerbang_sidecar.services.certificates.ocsp.MAX_PRESIGNED", 3)
    assert MAX_PRESIGNED > 3
    for _ in range(5):
        certificate = issue_certificate(ca, subscriber_key, NOW)
        record_certificate(storage, certificate, NOW)
        assert ocsp_status(responder.respond(ocsp_request(ca, certificate))) == \
            ocsp.OCSPCertStatus.GOOD
    generation = responder._generation
    assert generation is not None and 0 < len(generation.presigned) <= 3


def test_x6_the_mark_changes_with_every_revocation(
        storage: Storage, ca: LocalCertificateAuthority, subscriber_key: bytes) -> None:
    read = RevocationMarkReader(storage.engine)
    ids = [record_certificate(storage, issue_certificate(ca, subscriber_key, NOW), NOW)
           for _ in range(2)]
    marks = [read()]
    for certificate_id in ids:  # the same revocation time twice: the count still moves
        revoke_certificate(storage, certificate_id, NOW + timedelta(seconds=1))
        marks.append(read())
    assert len(set(marks)) == 3


def test_x6_a_kept_answer_is_not_served_past_a_critical_extension(
        responder: OcspResponder, storage: Storage, ca: LocalCertificateAuthority,
        subscriber_key: bytes) -> None:
    """RFC 6960 4.4: the CA refuses a critical extension it does not know; the kept answer
    for the same CertID must not answer it instead (a review of the day's change)."""
    certificate = issue_certificate(ca, subscriber_key, NOW)
    record_certificate(storage, certificate, NOW)
    assert ocsp_status(responder.respond(ocsp_request(ca, certificate))) == \
        ocsp.OCSPCertStatus.GOOD  # now kept
    issuing = x509.load_der_x509_certificate(ca.chain()[0])
    odd = (ocsp.OCSPRequestBuilder().add_certificate(certificate, issuing, SHA1)
           .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"),
                                                     b"\x05\x00"), critical=True).build())
    answer = ocsp.load_der_ocsp_response(responder.respond(
        odd.public_bytes(serialization.Encoding.DER)))
    assert answer.response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
