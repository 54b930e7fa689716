"""X6 over real HTTP: OpenSSL's own OCSP client asks the sidecar's responder (with a nonce)
and accepts good, revoked and unknown answers; the served CRL makes ``openssl verify
-crl_check`` refuse a revoked certificate. X7: the time-stamping authority at ``/pki/tsa``
answers an ``openssl ts`` request, and ``openssl ts -verify`` accepts the token. The CA is the
one ``init`` made for the session's sidecar."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gerbang_sidecar.adapters.ca.keys import RsaSubscriberKeys
from gerbang_sidecar.domain.certificates.profiles import Product, person_subject, profile_for
from gerbang_sidecar.web.context import services
from support.restartable_sidecar import RestartableSidecar

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
PASSPHRASE = "Rahasia#2025x"


def _pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def _issue(sidecar: RestartableSidecar, *, stored: bool) -> tuple[x509.Certificate, int]:
    with sidecar.app.app_context():
        container = services()
        ca = container.certificate_authority
        now = container.clock()
        sealed = RsaSubscriberKeys().create(PASSPHRASE, lambda public: ca.issue(
            public, person_subject("Uji Ocsp", "BSSN", "3174041503800005"),
            profile_for(Product.ESIGN), now=now), ca.chain())
        if stored:
            with container.storage.transaction() as tx:
                serial = f"{sealed.certificate.serial_number:X}"
                row = tx.certificates.add_certificate(
                    realm="bsre", user_id="ocsp-test", serial_number=serial, product="esign",
                    status="issued",
                    enroll_method="test", note="", not_before=sealed.certificate.not_before,
                    not_after=sealed.certificate.not_after,
                    certificate=sealed.certificate.certificate, pkcs12=sealed.pkcs12,
                    created_at=now)
            return x509.load_der_x509_certificate(sealed.certificate.certificate), row.id
    return x509.load_der_x509_certificate(sealed.certificate.certificate), 0


def _revoke(sidecar: RestartableSidecar, certificate_id: int) -> None:
    with sidecar.app.app_context():
        container = services()
        with container.storage.transaction() as tx:
            assert tx.certificates.set_status(certificate_id, status="revoked",
                                              expected="issued", revoked_at=container.clock(),
                                              reason="key_compromise")


def _files(sidecar_server: str, folder: Path, leaf: x509.Certificate) -> None:
    issuing = requests.get(f"{sidecar_server}/pki/issuing-ca.crt", timeout=10).content
    (folder / "issuing.pem").write_bytes(_pem(issuing))
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))


def _ask(sidecar_server: str, folder: Path, root: Path) -> str:
    done = subprocess.run(
        ["openssl", "ocsp", "-issuer", str(folder / "issuing.pem"), "-cert",
         str(folder / "leaf.pem"), "-url", f"{sidecar_server}/pki/ocsp", "-CAfile", str(root),
         "-verify_other", str(folder / "issuing.pem")],
        capture_output=True, text=True, check=False, timeout=30)
    return done.stdout + done.stderr


def test_x6_openssl_ocsp_over_http_good_revoked_unknown_and_the_crl(
        sidecar: RestartableSidecar, sidecar_server: str, tmp_path: Path) -> None:
    with sidecar.app.app_context():
        root_der = services().certificate_authority.chain()[1]
    root = tmp_path / "root.pem"
    root.write_bytes(_pem(root_der))

    leaf, certificate_id = _issue(sidecar, stored=True)
    _files(sidecar_server, tmp_path, leaf)
    good = _ask(sidecar_server, tmp_path, root)
    assert "Response verify OK" in good and "leaf.pem: good" in good, good

    _revoke(sidecar, certificate_id)
    revoked = _ask(sidecar_server, tmp_path, root)
    assert "Response verify OK" in revoked and "leaf.pem: revoked" in revoked, revoked
    assert "Key Compromise" in revoked or "keyCompromise" in revoked, revoked

    stranger, _ = _issue(sidecar, stored=False)  # signed by the CA, never recorded
    (tmp_path / "leaf.pem").write_bytes(stranger.public_bytes(serialization.Encoding.PEM))
    unknown = _ask(sidecar_server, tmp_path, root)
    assert "Response verify OK" in unknown and "leaf.pem: unknown" in unknown, unknown

    crl = requests.get(f"{sidecar_server}/pki/issuing-ca.crl", timeout=10)
    assert crl.headers["Content-Type"] == "application/pkix-crl"
    (tmp_path / "crl.pem").write_bytes(x509.load_der_x509_crl(crl.content).public_bytes(
        serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    verified = subprocess.run(
        ["openssl", "verify", "-crl_check", "-CAfile", str(root), "-untrusted",
         str(tmp_path / "issuing.pem"), "-CRLfile", str(tmp_path / "crl.pem"),
         str(tmp_path / "leaf.pem")], capture_output=True, text=True, check=False)
    assert verified.returncode != 0 and "revoked" in verified.stdout + verified.stderr


def test_x7_openssl_ts_gets_a_token_from_the_tsa_over_http_and_verifies_it(
        sidecar: RestartableSidecar, sidecar_server: str, tmp_path: Path) -> None:
    with sidecar.app.app_context():
        issuing_der, root_der = services().certificate_authority.chain()
    (tmp_path / "root.pem").write_bytes(_pem(root_der))
    (tmp_path / "issuing.pem").write_bytes(_pem(issuing_der))
    (tmp_path / "document.pdf").write_bytes(b"%PDF-1.7 a document to stamp")
    made = subprocess.run(["openssl", "ts", "-query", "-data", str(tmp_path / "document.pdf"),
                           "-sha256", "-cert", "-out", str(tmp_path / "request.tsq")],
                          capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    # openssl ts has no HTTP client of its own: requests carries its bytes (RFC 3161 3.4).
    reply = requests.post(f"{sidecar_server}/pki/tsa",
                          data=(tmp_path / "request.tsq").read_bytes(),
                          headers={"Content-Type": "application/timestamp-query"}, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "application/timestamp-reply"
    (tmp_path / "reply.tsr").write_bytes(reply.content)
    verified = subprocess.run(
        ["openssl", "ts", "-verify", "-queryfile", str(tmp_path / "request.tsq"), "-in",
         str(tmp_path / "reply.tsr"), "-CAfile", str(tmp_path / "root.pem"), "-untrusted",
         str(tmp_path / "issuing.pem")], capture_output=True, text=True, check=False)
    assert "Verification: OK" in verified.stdout, verified.stdout + verified.stderr
    wrong = requests.post(f"{sidecar_server}/pki/tsa", data=b"x",
                          headers={"Content-Type": "text/plain"}, timeout=10)
    assert wrong.status_code == 400
