"""Issue 12 item 13: issuing one eSign certificate end to end, through Gerbang's code beside
the bare ``cryptography`` calls for the same work, in one run.

Gerbang's side is the core of ``CertificateIssuance.issue``: ``RsaSubscriberKeys.create``
(an RSA-2048 key, the CA adapter certifies it, the PKCS#12 sealed under the passphrase) and
the row ``add_certificate`` writes through the sidecar's storage (SQLAlchemy, certificate
and PKCS#12 encrypted at rest) on the migrated SQLite database. The baseline makes the same
key, builds the same certificate with the same extensions by hand, seals the same PKCS#12
(PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256 at 600,000 iterations), derives the MAC key as
Gerbang's PBMAC1 does (PBKDF2-HMAC-SHA256 at 600,000, then HMAC-SHA256 over the file: the
bare calls, the file not rewritten) and writes the bytes to an SQLite table with the stdlib
``sqlite3`` module (WAL, as the sidecar's SQLite). Both sides take turns in blocks; key
generation times vary a lot (prime search), so the ratio is taken of medians over many
samples.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from bench.certificates import (
    PASSPHRASE,
    PUBLIC_URL,
    BareCa,
    bench_subject,
    issue_sealed,
    sidecar_ca,
    store_certificate,
)
from bench.report import Row, Table, fmt_ratio, fmt_seconds
from bench.runner import Bounds, timed_pair
from gerbang_sidecar.domain.certificates.profiles import VALIDITY, Subject

GOAL = 1.10
KEY_SIZE = 2048
KDF_ROUNDS = 600_000


def bare_certificate(ca: BareCa, public: rsa.RSAPublicKey, subject: Subject,
                     now: datetime) -> x509.Certificate:
    """The eSign certificate of ``hierarchy.py``, its extensions written out by hand."""
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, subject.country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject.organization),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, subject.serial_number),
        x509.NameAttribute(NameOID.COMMON_NAME, subject.common_name)])
    no = False
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True,
                          key_encipherment=no, data_encipherment=no, key_agreement=no,
                          key_cert_sign=no, crl_sign=no, encipher_only=no, decipher_only=no)
    access = x509.AuthorityInformationAccess([
        x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                               x509.UniformResourceIdentifier(f"{PUBLIC_URL}/pki/ocsp")),
        x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                               x509.UniformResourceIdentifier(
                                   f"{PUBLIC_URL}/pki/issuing-ca.crt"))])
    distribution = x509.CRLDistributionPoints([x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(f"{PUBLIC_URL}/pki/issuing-ca.crl")],
        relative_name=None, reasons=None, crl_issuer=None)])
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(ca.issuing.subject).public_key(public)
            .serial_number(secrets.randbits(159) | 1)
            .not_valid_before(now)
            .not_valid_after(min(now + VALIDITY, ca.issuing.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca.issuing_key.public_key()), critical=False)
            .add_extension(access, critical=False)
            .add_extension(distribution, critical=False)
            .sign(ca.issuing_key, hashes.SHA256()))


def bare_seal(key: rsa.RSAPrivateKey, certificate: x509.Certificate,
              chain: list[x509.Certificate]) -> bytes:
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .kdf_rounds(KDF_ROUNDS)
                  .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
                  .hmac_hash(hashes.SHA256())
                  .build(PASSPHRASE.encode("ascii")))
    sealed = pkcs12.serialize_key_and_certificates(
        str(certificate.serial_number).encode("ascii"), key, certificate, chain, encryption)
    mac_key = PBKDF2HMAC(hashes.SHA256(), length=32, salt=secrets.token_bytes(16),
                         iterations=KDF_ROUNDS).derive(PASSPHRASE.encode("ascii"))
    tag = hmac.HMAC(mac_key, hashes.SHA256())
    tag.update(sealed)
    tag.finalize()
    return sealed


def bare_database(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")  # as the sidecar's SQLite (engine.py)
    connection.execute("CREATE TABLE certificates (id INTEGER PRIMARY KEY, "
                       "serial_number TEXT UNIQUE NOT NULL, certificate BLOB NOT NULL, "
                       "pkcs12 BLOB NOT NULL)")
    return connection


def bare_issuance(ca: BareCa, connection: sqlite3.Connection,
                  clock: Callable[[], datetime]) -> Callable[[int], bytes]:
    chain = [ca.issuing, ca.root]

    def issue(index: int) -> bytes:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        certificate = bare_certificate(ca, key.public_key(), bench_subject(index), clock())
        sealed = bare_seal(key, certificate, chain)
        with connection:  # one transaction, committed, like the sidecar's
            connection.execute(
                "INSERT INTO certificates (serial_number, certificate, pkcs12) VALUES (?, ?, ?)",
                (f"{certificate.serial_number:X}",
                 certificate.public_bytes(serialization.Encoding.DER), sealed))
        return sealed

    return issue


def _extensions(certificate: x509.Certificate) -> dict[str, object]:
    """What must match between both sides (the key identifier differs with the key)."""
    return {e.oid.dotted_string: (e.critical, e.value) for e in certificate.extensions
            if e.oid != x509.oid.ExtensionOID.SUBJECT_KEY_IDENTIFIER}


def check_same_work(ours: bytes, bare: bytes) -> None:
    """Refuse to time two different things: same extensions and subject layout, and both
    PKCS#12 open with the passphrase and hold a key, a certificate and the chain."""
    opened = [pkcs12.load_pkcs12(p, PASSPHRASE.encode("ascii")) for p in (ours, bare)]
    for p in opened:
        assert p.key is not None and p.cert is not None and len(p.additional_certs) == 2
    ours_cert, bare_cert = (p.cert.certificate for p in opened if p.cert is not None)
    if _extensions(ours_cert) != _extensions(bare_cert):
        raise RuntimeError("the baseline's certificate no longer matches hierarchy.py's: "
                           "update bench/certificate_issuance.py")
    if [a.oid for a in ours_cert.subject] != [a.oid for a in bare_cert.subject]:
        raise RuntimeError("the baseline's subject no longer matches hierarchy.py's")


def run(bounds: Bounds, log: Callable[[str], None] = print) -> Table:
    count = max(10, bounds.count)
    with sidecar_ca("issuance") as fixture:
        services = fixture.services
        clock = services.clock

        def ours(index: int) -> bytes:
            subject = bench_subject(index)
            now = clock()
            sealed = issue_sealed(services, subject, now=now)
            store_certificate(services, sealed, user_id=f"user-{index}", now=now)
            return sealed.pkcs12

        with closing(bare_database(fixture.folder / "bare.sqlite3")) as connection:
            bare = bare_issuance(fixture.bare(), connection, clock)
            # Indexes from 10**6 on: the warm-up and the check must not reuse a subject.
            check_same_work(ours(10**6), bare(10**6))
            log(f"certificate issuance: {count} per side ...")
            gerbang, baseline = timed_pair(
                ours, bare,
                Bounds(count=count, warmup=3, max_seconds=bounds.max_seconds * 2, block=5),
                ("gerbang issuance", "bare cryptography"), log)
    p50 = gerbang.p50 / baseline.p50
    table = Table(title="Certificate issuance (issue 12 item 13): key, certificate, "
                        "PKCS#12, stored",
                  gerbang_label="Gerbang (keys.create + add_certificate)",
                  baseline_label="bare cryptography + sqlite3")
    table.rows += [
        Row(f"p50 of {gerbang.count}", fmt_seconds(gerbang.p50), fmt_seconds(baseline.p50),
            fmt_ratio(p50)),
        Row(f"p95 of {gerbang.count}", fmt_seconds(gerbang.p95), fmt_seconds(baseline.p95),
            fmt_ratio(gerbang.p95 / baseline.p95)),
        Row("mean", fmt_seconds(gerbang.mean), fmt_seconds(baseline.mean),
            fmt_ratio(gerbang.mean / baseline.mean)),
        Row(f"goal: p50 ratio ≤ {GOAL:.2f}×", "met" if p50 <= GOAL else "NOT met", "",
            fmt_ratio(p50)),
    ]
    table.notes += [
        f"both sides: an RSA-{KEY_SIZE} key, the issuing CA (RSA-3072) signs with SHA-256, "
        f"the PKCS#12 is PBES2 AES-256-CBC with PBKDF2-HMAC-SHA256 at {KDF_ROUNDS:,} "
        "iterations for key and certificates, and a MAC key from PBKDF2-HMAC-SHA256 at as "
        "many (Gerbang writes it as PBMAC1, RFC 9579; the baseline makes the same calls) -- "
        "most of either side's time; then one committed SQLite transaction. Checked before "
        "timing: the same extensions and subject, and both PKCS#12 open with the passphrase.",
        "Gerbang's row also encrypts certificate and PKCS#12 at rest (AES-GCM) and goes "
        "through SQLAlchemy; the baseline stores the plain bytes. Selfie, Dukcapil, the "
        "link, audit and outbox rows of a real issuance are not part of either side.",
    ]
    return table
