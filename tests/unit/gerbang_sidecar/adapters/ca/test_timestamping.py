"""Issue 12 (X7): the CA's time-stamping authority as an independent RFC 3161 client sees it --
``openssl ts`` makes a request, the TSA answers, and ``openssl ts -verify`` accepts the token
against the CA's root; the TSA certificate has the one critical timeStamping purpose RFC 3161
asks for and its key is stored encrypted; refusals carry the RFC 3161 failure reason."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import algos, core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from gerbang_sidecar.adapters.ca.hierarchy import (
    CaMaterial,
    LocalCertificateAuthority,
    create_hierarchy,
    with_timestamping,
)
from gerbang_sidecar.adapters.ca.timestamping import POLICY, TimestampingMissing

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
KEK = b"a key-encryption key from the environment"
NOW = datetime.now(UTC).replace(microsecond=0)
URL = "https://gerbang.example.test"


@pytest.fixture(scope="module")
def material() -> CaMaterial:
    return with_timestamping(create_hierarchy(KEK, now=NOW, environment="test"), KEK, URL,
                             now=NOW)


@pytest.fixture(scope="module")
def ca(material: CaMaterial) -> LocalCertificateAuthority:
    return LocalCertificateAuthority(material, KEK, URL)


def _openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


def _pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def test_x7_the_tsa_certificate_has_the_rfc3161_profile(material: CaMaterial,
                                                        tmp_path: Path) -> None:
    assert material.tsa_certificate is not None and material.tsa_key is not None
    tsa = x509.load_pem_x509_certificate(material.tsa_certificate)
    issuing = x509.load_pem_x509_certificate(material.issuing_certificate)
    assert tsa.issuer == issuing.subject
    assert tsa.subject.rfc4514_string() == \
        "CN=Gerbang Time-Stamping Authority (test),O=Gerbang,C=ID"
    purpose = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert purpose.critical and list(purpose.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    usage = tsa.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    assert not tsa.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    cdp = tsa.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert cdp[0].full_name[0].value == f"{URL}/pki/issuing-ca.crl"  # type: ignore[index]
    assert tsa.not_valid_after_utc == issuing.not_valid_after_utc
    assert tsa.public_key().key_size == 3072  # type: ignore[union-attr]
    # Stored like the responder's key: PKCS#8 under the KEK.
    assert b"ENCRYPTED PRIVATE KEY" in material.tsa_key
    with pytest.raises((TypeError, ValueError)):
        serialization.load_pem_private_key(material.tsa_key, password=None)
    # OpenSSL agrees it is fit for time stamping under this root.
    (tmp_path / "root.pem").write_bytes(material.root_certificate)
    (tmp_path / "issuing.pem").write_bytes(material.issuing_certificate)
    (tmp_path / "tsa.pem").write_bytes(material.tsa_certificate)
    checked = _openssl("verify", "-purpose", "timestampsign", "-CAfile",
                       str(tmp_path / "root.pem"), "-untrusted", str(tmp_path / "issuing.pem"),
                       str(tmp_path / "tsa.pem"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_x7_openssl_ts_verifies_a_token_of_the_tsa(ca: LocalCertificateAuthority,
                                                   material: CaMaterial,
                                                   tmp_path: Path) -> None:
    (tmp_path / "document.pdf").write_bytes(b"%PDF-1.7 a document to stamp")
    made = _openssl("ts", "-query", "-data", str(tmp_path / "document.pdf"), "-sha256",
                    "-cert", "-out", str(tmp_path / "request.tsq"))
    assert made.returncode == 0, made.stderr
    reply = ca.timestamp((tmp_path / "request.tsq").read_bytes(), now=NOW)
    (tmp_path / "reply.tsr").write_bytes(reply)
    (tmp_path / "root.pem").write_bytes(material.root_certificate)
    (tmp_path / "issuing.pem").write_bytes(material.issuing_certificate)
    text = _openssl("ts", "-reply", "-in", str(tmp_path / "reply.tsr"), "-text").stdout
    assert "Status: Granted." in text and f"Policy OID: {POLICY}" in text, text
    assert "Nonce:" in text and "Accuracy: 0x01 seconds" in text, text
    verified = _openssl("ts", "-verify", "-queryfile", str(tmp_path / "request.tsq"), "-in",
                        str(tmp_path / "reply.tsr"), "-CAfile", str(tmp_path / "root.pem"),
                        "-untrusted", str(tmp_path / "issuing.pem"))
    assert "Verification: OK" in verified.stdout, verified.stdout + verified.stderr
    # Another document's request does not match the token.
    (tmp_path / "other.pdf").write_bytes(b"%PDF-1.7 another document")
    other = _openssl("ts", "-verify", "-data", str(tmp_path / "other.pdf"), "-in",
                     str(tmp_path / "reply.tsr"), "-CAfile", str(tmp_path / "root.pem"),
                     "-untrusted", str(tmp_path / "issuing.pem"))
    assert "Verification: OK" not in other.stdout


def _request(algorithm: str = "sha256", size: int = 32, **fields: object) -> bytes:
    return tsp.TimeStampReq({"version": "v1", "message_imprint": {
        "hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}),
        "hashed_message": b"\x01" * size}, **fields}).dump()


def _status(reply: bytes) -> tuple[str, set[str]]:
    # A rejection has no token, which asn1crypto's TimeStampResp cannot parse: the status
    # is the reply's first element.
    info = tsp.PKIStatusInfo.load(core.Sequence.load(reply)[0].dump())
    return info["status"].native, set(info["fail_info"].native or ())


def test_x7_refusals_carry_the_rfc3161_failure_reason(ca: LocalCertificateAuthority,
                                                      tmp_path: Path) -> None:
    assert _status(ca.timestamp(b"not a request", now=NOW)) == ("rejection",
                                                                {"bad_data_format"})
    sha1 = ca.timestamp(_request("sha1", 20), now=NOW)
    assert _status(sha1) == ("rejection", {"bad_alg"})
    (tmp_path / "sha1.tsr").write_bytes(sha1)
    text = _openssl("ts", "-reply", "-in", str(tmp_path / "sha1.tsr"), "-text").stdout
    assert "Status: Rejected." in text and "unrecognized or unsupported algorithm" in text, text
    assert _status(ca.timestamp(_request("sha256", 20), now=NOW)) == ("rejection", {"bad_alg"})
    assert _status(ca.timestamp(_request(req_policy="1.2.3.4"), now=NOW)) == (
        "rejection", {"unaccepted_policy"})
    granted = tsp.TimeStampResp.load(ca.timestamp(_request(req_policy=POLICY), now=NOW))
    assert granted["status"]["status"].native == "granted"
    token = granted["time_stamp_token"]["content"]
    info = token["encap_content_info"]["content"].parsed
    assert info["gen_time"].native == NOW and info["policy"].native == POLICY
    # No certReq: no certificates in the token (RFC 3161 2.4.1).
    assert not token["certificates"].native
    asked = tsp.TimeStampResp.load(ca.timestamp(_request(cert_req=True), now=NOW))
    assert len(asked["time_stamp_token"]["content"]["certificates"]) == 2  # TSA and issuing


def test_x7_a_hierarchy_without_a_tsa_says_so(material: CaMaterial) -> None:
    old = LocalCertificateAuthority(replace(material, tsa_certificate=None, tsa_key=None),
                                    KEK, URL)
    assert not old.has_timestamping
    with pytest.raises(TimestampingMissing):
        old.timestamp(_request(), now=NOW)
    assert with_timestamping(material, KEK, URL, now=NOW) is material  # one TSA only
