"""X6 over the app's WSGI callable: ``POST /pki/ocsp`` and ``GET /pki/ocsp/<base64>`` answer
in front of Flask -- good and revoked, the same pre-signed bytes for a request without a
nonce (by POST or GET alike), a fresh signature echoing a nonce; malformedRequest and
unauthorized as OCSP statuses; 400 for the wrong content type or more than 8 KiB; the
request id and the latency metric as every route has them; everything else still Flask's."""
# Fixtures imported from support/ca_fixtures.py read as redefinitions where tests take them.
# ruff: noqa: F811

from __future__ import annotations

import base64
import dataclasses
import os
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from flask import Flask
from flask.testing import FlaskClient

from gerbang_sidecar.app import create_ocsp_app
from gerbang_sidecar.request_ids import REQUEST_ID_HEADER
from gerbang_sidecar.web.pki_ocsp import MAX_OCSP_REQUEST
from gerbang_sidecar.wiring import Services
from support.ca_fixtures import (  # noqa: F401 - fixtures of every test with a CA
    KEK,
    SHA1,
    authority,
    clock,
    issue_certificate,
    material,
    new_subscriber_key,
    ocsp_request,
    ocsp_status,
    record_certificate,
    revoke_certificate,
    settings_overrides,
)
from support.metrics_text import requests_counted

OCSP_REQUEST = {"Content-Type": "application/ocsp-request"}


@pytest.fixture
def anyone(app: Flask, authority: None) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def recorded(services: Services, authority: None) -> tuple[x509.Certificate, int]:
    """A certificate of the CA, recorded as Issued: (certificate, row id)."""
    certificate = issue_certificate(services.certificate_authority, new_subscriber_key(),
                                    services.clock())
    return certificate, record_certificate(services.storage, certificate, services.clock())


def _counted(client: FlaskClient, route: str, status: str, method: str = "GET") -> float:
    """Requests the latency histogram counted for this route, as /metrics shows it."""
    text = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.3.7"}).get_data(
        as_text=True)
    return requests_counted(text, route, status, method)


def test_x6_post_answers_in_front_of_flask_with_the_headers_that_matter(
        anyone: FlaskClient, services: Services,
        recorded: tuple[x509.Certificate, int]) -> None:
    request = ocsp_request(services.certificate_authority, recorded[0])
    answer = anyone.post("/pki/ocsp", data=request,
                         headers={**OCSP_REQUEST, REQUEST_ID_HEADER: "proxy-id-42"})
    assert answer.status_code == 200 and answer.mimetype == "application/ocsp-response"
    assert ocsp_status(answer.data) == ocsp.OCSPCertStatus.GOOD
    assert answer.headers[REQUEST_ID_HEADER] == "proxy-id-42"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" in answer.headers  # the test site is https
    assert "Content-Security-Policy" not in answer.headers  # for pages, not DER
    assert "Set-Cookie" not in answer.headers
    assert _counted(anyone, "/pki/ocsp", "200", method="POST") == 1


def test_x6_without_nonce_the_same_bytes_by_post_and_get_and_a_revocation_at_once(
        anyone: FlaskClient, services: Services,
        recorded: tuple[x509.Certificate, int]) -> None:
    certificate, certificate_id = recorded
    request = ocsp_request(services.certificate_authority, certificate)
    posted = anyone.post("/pki/ocsp", data=request, headers=OCSP_REQUEST).data
    url = f"/pki/ocsp/{quote(base64.b64encode(request).decode(), safe='')}"
    fetched = anyone.get(url)
    assert fetched.status_code == 200 and fetched.mimetype == "application/ocsp-response"
    assert fetched.data == posted  # one pre-signed answer for the CertID
    assert anyone.post("/pki/ocsp", data=request, headers=OCSP_REQUEST).data == posted
    revoke_certificate(services.storage, certificate_id, services.clock(), reason="superseded")
    revoked = ocsp.load_der_ocsp_response(anyone.get(url).data)
    assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_reason == x509.ReasonFlags.superseded
    assert _counted(anyone, "/pki/ocsp/<path:encoded>", "200") == 2


def test_x6_a_nonce_is_echoed_in_a_fresh_signature(
        anyone: FlaskClient, services: Services,
        recorded: tuple[x509.Certificate, int]) -> None:
    seen = []
    for _ in range(2):
        nonce = os.urandom(16)
        request = ocsp_request(services.certificate_authority, recorded[0], nonce)
        answer = ocsp.load_der_ocsp_response(
            anyone.post("/pki/ocsp", data=request, headers=OCSP_REQUEST).data)
        assert answer.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce
        seen.append(answer.signature)
    assert seen[0] != seen[1]


def test_x6_malformed_and_another_issuer_are_ocsp_error_statuses(
        anyone: FlaskClient, recorded: tuple[x509.Certificate, int]) -> None:
    garbled = anyone.post("/pki/ocsp", data=b"\x30\x03garbage", headers=OCSP_REQUEST)
    assert garbled.status_code == 200
    assert ocsp.load_der_ocsp_response(garbled.data).response_status == \
        ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    certificate = recorded[0]
    stranger = ocsp.OCSPRequestBuilder().add_certificate(certificate, certificate, SHA1).build()
    answer = anyone.get(
        f"/pki/ocsp/{base64.b64encode(stranger.public_bytes(serialization.Encoding.DER)).decode()}")
    assert ocsp.load_der_ocsp_response(answer.data).response_status == \
        ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_x6_a_failure_of_ours_is_an_internal_error_answer_logged_and_counted_as_500(
        anyone: FlaskClient, services: Services, recorded: tuple[x509.Certificate, int],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """RFC 6960 2.3: a client reads internalError; an HTTP 500 text body it cannot."""
    def broken(_request: bytes) -> bytes:
        raise RuntimeError("the CA's key could not be read")

    monkeypatch.setattr(services.ocsp, "respond", broken)
    request = ocsp_request(services.certificate_authority, recorded[0])
    answer = anyone.post("/pki/ocsp", data=request, headers=OCSP_REQUEST)
    assert answer.status_code == 200 and answer.mimetype == "application/ocsp-response"
    assert ocsp.load_der_ocsp_response(answer.data).response_status == \
        ocsp.OCSPResponseStatus.INTERNAL_ERROR
    assert "unhandled error answering OCSP" in caplog.text
    assert _counted(anyone, "/pki/ocsp", "500", method="POST") == 1


def test_x6_wrong_content_type_oversized_bad_base64_and_wrong_method_are_http_errors(
        anyone: FlaskClient, services: Services,
        recorded: tuple[x509.Certificate, int]) -> None:
    request = ocsp_request(services.certificate_authority, recorded[0])
    wrong_type = anyone.post("/pki/ocsp", data=request,
                             headers={"Content-Type": "application/octet-stream"})
    assert wrong_type.status_code == 400
    assert anyone.post("/pki/ocsp", data=request).status_code == 400  # no type at all
    oversized = anyone.post("/pki/ocsp", data=b"\x30" * (MAX_OCSP_REQUEST + 1),
                            headers=OCSP_REQUEST)
    assert oversized.status_code == 400
    assert anyone.get("/pki/ocsp/%C3%A9%C3%A9").status_code == 400  # not base64
    not_allowed = anyone.get("/pki/ocsp")
    assert not_allowed.status_code == 405 and not_allowed.headers["Allow"] == "POST"
    assert anyone.put("/pki/ocsp/MAA=").status_code == 405
    assert REQUEST_ID_HEADER in wrong_type.headers
    assert _counted(anyone, "/pki/ocsp", "400", method="POST") == 3


def test_x6_other_paths_still_go_through_flask(anyone: FlaskClient) -> None:
    crl = anyone.get("/pki/issuing-ca.crl")
    assert crl.status_code == 200 and "Content-Security-Policy" in crl.headers
    # Caches may keep the CRL a minute and the CA certificate a day (a review found both
    # overwritten with no-store); OCSP answers and pages stay no-store.
    assert crl.headers["Cache-Control"] == "public, max-age=60"
    assert anyone.get("/pki/issuing-ca.crt").headers["Cache-Control"] == \
        "public, max-age=86400"
    assert anyone.get("/pki/ocspx").status_code == 404
    assert anyone.get("/pki/ocsp/").status_code == 404


def test_x6_the_responder_process_app_answers_ocsp_health_and_metrics_and_nothing_else(
        services: Services, recorded: tuple[x509.Certificate, int]) -> None:
    """``serve-ocsp``'s app (create_ocsp_app): the same endpoint, none of the pages."""
    client = create_ocsp_app(services=services).test_client()
    certificate, _ = recorded
    request = ocsp_request(services.certificate_authority, certificate, nonce=os.urandom(16))
    answer = client.post("/pki/ocsp", data=request, headers=OCSP_REQUEST)
    assert answer.status_code == 200 and REQUEST_ID_HEADER in answer.headers
    assert ocsp_status(answer.data) == ocsp.OCSPCertStatus.GOOD
    assert client.get("/health").status_code == 200
    assert client.get("/internal/ready").status_code == 200  # its database answers
    assert client.get("/internal/ready",
                      environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    for page in ("/", "/bsre/", "/pki/issuing-ca.crl", "/akses/daftar", "/static/app.css"):
        assert client.get(page).status_code == 404, page
    assert _counted(client, "/pki/ocsp", "200", method="POST") == 1


def test_x6_the_responder_process_is_ready_with_its_database_whatever_keycloak_does(
        services: Services, authority: None) -> None:
    """The responder never calls Keycloak or a registry: its readiness neither probes them
    nor reports degraded while they are down."""
    called: list[str] = []

    def down() -> bool:
        called.append("keycloak")
        return False

    with_keycloak_down = dataclasses.replace(
        services, probes={**services.probes, "keycloak": down})
    client = create_ocsp_app(services=with_keycloak_down).test_client()
    answer = client.get("/internal/ready")
    assert answer.status_code == 200
    assert answer.json == {"status": "up",
                           "checks": {"database": "up", "certificate_authority": "up"}}
    assert called == []


def test_x6_the_responder_process_is_not_ready_without_its_ca_keys(
        services: Services) -> None:
    """No CA yet (ca-init not run), or a KEK that does not open its keys: every answer would
    be an internalError, so the process takes no traffic (a review found it ready)."""
    answer = create_ocsp_app(services=services).test_client().get("/internal/ready")
    assert answer.status_code == 503
    assert answer.json["checks"]["certificate_authority"] == "down"
