"""X6 in production's shape: the OCSP responder's own process (``python -m gerbang_sidecar
serve-ocsp``: granian, two workers, as docker-compose.yml runs it) on the cluster's
PostgreSQL database. OpenSSL's OCSP client accepts its answer for an Issued certificate and
sees the certificate revoked once another process has recorded the revocation in the
database; the process answers liveness and readiness, merges its workers' metrics at
``/metrics`` (after emptying what an earlier run left there) and serves nothing else."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gerbang_ops.keycloak.server import free_port
from gerbang_sidecar.adapters.ca.keys import RsaSubscriberKeys
from gerbang_sidecar.config import load_settings
from gerbang_sidecar.domain.certificates.profiles import Product, person_subject, profile_for
from gerbang_sidecar.wiring import Services, build_services
from support.cluster_sidecars import SidecarCluster, start_ocsp, wait_until_ready
from support.metrics_text import requests_counted

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
TIMEOUT = 60  # per request; the machine may be busy. Nothing here is timed.


def _pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def _issued(services: Services) -> tuple[bytes, int]:
    """A certificate of the shared CA recorded as Issued: (PEM, row id)."""
    ca, now = services.certificate_authority, services.clock()
    sealed = RsaSubscriberKeys().create("Rahasia#2025x", lambda public: ca.issue(
        public, person_subject("Uji Responder", "BSSN", "3174041503800005"),
        profile_for(Product.ESIGN), now=now), ca.chain())
    with services.storage.transaction() as tx:
        row = tx.certificates.add_certificate(
            realm="bsre", user_id="ocsp-process", product="esign", status="issued",
            serial_number=f"{sealed.certificate.serial_number:X}",
            enroll_method="test", note="", not_before=sealed.certificate.not_before,
            not_after=sealed.certificate.not_after, certificate=sealed.certificate.certificate,
            pkcs12=sealed.pkcs12, created_at=now)
    return _pem(sealed.certificate.certificate), row.id


def _openssl_asks(url: str, folder: Path) -> str:
    done = subprocess.run(
        ["openssl", "ocsp", "-issuer", str(folder / "issuing.pem"), "-cert",
         str(folder / "leaf.pem"), "-url", f"{url}/pki/ocsp", "-CAfile",
         str(folder / "root.pem"), "-verify_other", str(folder / "issuing.pem")],
        capture_output=True, text=True, check=False, timeout=TIMEOUT)
    return done.stdout + done.stderr


def _answered(url: str) -> float:
    """OCSP POSTs answered 200, as the process's /metrics adds up its workers' counts."""
    text = requests.get(f"{url}/metrics", timeout=TIMEOUT).text
    return requests_counted(text, "/pki/ocsp", "200", method="POST")


def test_x6_serve_ocsp_answers_openssl_and_sees_a_revocation_another_process_recorded(
        sidecar_cluster: SidecarCluster, tmp_path: Path) -> None:
    metrics = tmp_path / "ocsp-metrics"
    metrics.mkdir()
    (metrics / "counter_1.db").write_bytes(b"an earlier run's values")
    responder = start_ocsp("ocsp", free_port(), sidecar_cluster.env, tmp_path)
    services = build_services(load_settings(sidecar_cluster.env))  # another process's view
    try:
        wait_until_ready(responder)
        assert not (metrics / "counter_1.db").exists()
        issuing, root = services.certificate_authority.chain()
        (tmp_path / "issuing.pem").write_bytes(_pem(issuing))
        (tmp_path / "root.pem").write_bytes(_pem(root))
        leaf, certificate_id = _issued(services)
        (tmp_path / "leaf.pem").write_bytes(leaf)

        good = _openssl_asks(responder.url, tmp_path)
        assert "Response verify OK" in good and "leaf.pem: good" in good, good

        with services.storage.transaction() as tx:
            assert tx.certificates.set_status(certificate_id, status="revoked",
                                              expected="issued", revoked_at=services.clock(),
                                              reason="key_compromise")
        revoked = _openssl_asks(responder.url, tmp_path)
        assert "Response verify OK" in revoked and "leaf.pem: revoked" in revoked, revoked

        assert requests.get(f"{responder.url}/health", timeout=TIMEOUT).status_code == 200
        assert _answered(responder.url) >= 2
        for elsewhere in ("/", "/bsre/", "/pki/issuing-ca.crl"):
            assert requests.get(f"{responder.url}{elsewhere}",
                                timeout=TIMEOUT).status_code == 404
    finally:
        services.close()
        responder.stop()
        assert not responder.running
