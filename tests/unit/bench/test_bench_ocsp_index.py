"""The OCSP benchmark's index.txt writer: OpenSSL's certificate database as ``openssl ocsp
-index`` reads it, checked field by field and then by OpenSSL itself answering from it."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from bench.ocsp_index import (
    INDEX_ATTRIBUTES,
    IndexEntry,
    index_line,
    index_text,
    openssl_serial,
    openssl_subject,
    openssl_time,
)

EXPIRY = datetime(2027, 12, 2, 7, 5, 9, tzinfo=UTC)
REVOKED_AT = datetime(2026, 1, 31, 23, 59, 1, tzinfo=UTC)


def test_serial_numbers_are_whole_octets_of_upper_case_hex() -> None:
    assert openssl_serial(0xABC) == "0ABC"  # as BN_bn2hex prints, or the lookup misses
    assert openssl_serial(0x1234) == "1234"
    assert openssl_serial(0) == "00"
    with pytest.raises(ValueError):
        openssl_serial(-1)


def test_times_are_utctime_until_2049_and_generalized_after() -> None:
    assert openssl_time(EXPIRY) == "271202070509Z"
    assert openssl_time(datetime(2051, 1, 2, 3, 4, 5, tzinfo=UTC)) == "20510102030405Z"
    assert openssl_time(datetime(2027, 12, 2, 7, 5, 9)) == "271202070509Z"  # naive: UTC
    jakarta = EXPIRY.astimezone(timezone(timedelta(hours=7)))  # the same moment
    assert openssl_time(jakarta) == "271202070509Z"


def test_lines_for_valid_and_revoked_certificates() -> None:
    subject = "/C=ID/O=BSSN/serialNumber=PNOID-3174041503800005/CN=AGUS"
    valid = index_line(IndexEntry(0xABC, EXPIRY, subject))
    assert valid.split("\t") == ["V", "271202070509Z", "", "0ABC", "unknown", subject]
    revoked = index_line(IndexEntry(0x1234, EXPIRY, subject, REVOKED_AT, "key_compromise"))
    assert revoked.split("\t")[:4] == ["R", "271202070509Z", "260131235901Z,keyCompromise",
                                       "1234"]
    # OpenSSL has no name for privilegeWithdrawn: revoked without a reason then.
    withdrawn = index_line(IndexEntry(0x12, EXPIRY, subject, REVOKED_AT,
                                      "privilege_withdrawn"))
    assert withdrawn.split("\t")[2] == "260131235901Z"
    with pytest.raises(ValueError):
        index_line(IndexEntry(1, EXPIRY, "/CN=tab\there"))
    assert index_text([IndexEntry(1, EXPIRY, "/CN=a"), IndexEntry(2, EXPIRY, "/CN=b")]
                      ).count("\n") == 2


def test_subjects_in_the_certificates_order_with_openssls_short_names() -> None:
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "BSSN"),
                      x509.NameAttribute(NameOID.SERIAL_NUMBER, "PNOID-3174041503800005"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "AGUS WIJAYA")])
    assert openssl_subject(name) == \
        "/C=ID/O=BSSN/serialNumber=PNOID-3174041503800005/CN=AGUS WIJAYA"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_openssl_answers_good_revoked_and_unknown_from_the_index(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench CA")])
    now = datetime.now(UTC)
    ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
          .public_key(key.public_key()).serial_number(1)
          .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=9))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(key, hashes.SHA256()))
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "ca.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (tmp_path / "index.txt").write_text(index_text([
        IndexEntry(0xABC, EXPIRY, "/CN=one"),
        IndexEntry(0xDEF1, EXPIRY, "/CN=one", REVOKED_AT, "superseded")]))
    (tmp_path / "index.txt.attr").write_text(INDEX_ATTRIBUTES)
    template = ocsp.OCSPRequestBuilder().add_certificate(ca, ca, hashes.SHA256()).build()

    def ask(serial: int) -> ocsp.OCSPResponse:
        request = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
            template.issuer_name_hash, template.issuer_key_hash, serial, hashes.SHA256()
        ).build()
        (tmp_path / "request.der").write_bytes(request.public_bytes(serialization.Encoding.DER))
        subprocess.run(["openssl", "ocsp", "-index", "index.txt", "-CA", "ca.pem",
                        "-rsigner", "ca.pem", "-rkey", "ca.key", "-reqin", "request.der",
                        "-respout", "response.der"],
                       cwd=tmp_path, check=True, capture_output=True, timeout=30)
        return ocsp.load_der_ocsp_response((tmp_path / "response.der").read_bytes())

    assert ask(0xABC).certificate_status == ocsp.OCSPCertStatus.GOOD
    revoked = ask(0xDEF1)
    assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_reason == x509.ReasonFlags.superseded
    assert revoked.revocation_time_utc == REVOKED_AT
    assert ask(0x5).certificate_status == ocsp.OCSPCertStatus.UNKNOWN
