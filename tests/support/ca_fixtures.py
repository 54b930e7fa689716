"""Fixtures of the tests whose app has a certificate authority (issue 12): the hierarchy is
made once per module, stored when a test asks for ``authority``; the clock runs at today's
time, because certificates issued under a clock of 2025 would predate the CA. A test module
imports these names to use them. The helpers below them issue, record and revoke a subscriber's
certificate and ask OCSP about it, for the responder's tests and the endpoint's alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from gerbang_sidecar.adapters.ca.hierarchy import CaMaterial, create_hierarchy
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.domain.certificates.profiles import Product, person_subject, profile_for
from gerbang_sidecar.ports.ca import CertificateAuthority
from gerbang_sidecar.wiring import Services
from support.clock import FakeClock

KEK = "a-test-key-encryption-key-of-the-ca"
# SHA-1 names the certificate in a CertID (RFC 5019 clients send it); it protects nothing.
SHA1 = hashes.SHA1()  # noqa: S303


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture(scope="module")
def material() -> CaMaterial:
    return create_hierarchy(KEK.encode(), now=datetime.now(UTC))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"ca_key": KEK}


@pytest.fixture
def authority(services: Services, material: CaMaterial) -> Iterator[None]:
    with services.storage.transaction() as tx:
        tx.certificates.add_authority(
            root_certificate=material.root_certificate, root_key=material.root_key,
            issuing_certificate=material.issuing_certificate,
            issuing_key=material.issuing_key,
            responder_certificate=material.responder_certificate,
            responder_key=material.responder_key, now=services.clock())
    yield


def new_subscriber_key() -> bytes:
    """A fresh RSA public key (SubjectPublicKeyInfo, DER), as a subscriber would send."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def issue_certificate(ca: CertificateAuthority, key: bytes, now: datetime) -> x509.Certificate:
    issued = ca.issue(key, person_subject("Agus Wijaya", "BSSN", "3174041503800005"),
                      profile_for(Product.ESIGN), now=now)
    return x509.load_der_x509_certificate(issued.certificate)


def record_certificate(storage: Storage, certificate: x509.Certificate, now: datetime) -> int:
    """The certificate recorded as Issued; its row id."""
    with storage.transaction() as tx:
        return tx.certificates.add_certificate(
            realm="bsre", user_id="holder", serial_number=f"{certificate.serial_number:X}",
            product="esign", status="issued", enroll_method="web",
            note="", not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            certificate=certificate.public_bytes(serialization.Encoding.DER), pkcs12=b"p12",
            created_at=now).id


def revoke_certificate(storage: Storage, certificate_id: int, at: datetime,
                       reason: str = "key_compromise") -> None:
    with storage.transaction() as tx:
        assert tx.certificates.set_status(certificate_id, status="revoked", expected="issued",
                                          revoked_at=at, reason=reason)


def ocsp_request(ca: CertificateAuthority, certificate: x509.Certificate,
                 nonce: bytes | None = None) -> bytes:
    """A DER OCSP request naming the certificate under the CA's issuing certificate."""
    issuing = x509.load_der_x509_certificate(ca.chain()[0])
    builder = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuing, SHA1)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def ocsp_status(der: bytes) -> ocsp.OCSPCertStatus:
    """The certificate's status in a DER OCSP response, which must have succeeded."""
    response = ocsp.load_der_ocsp_response(der)
    assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    return response.certificate_status
