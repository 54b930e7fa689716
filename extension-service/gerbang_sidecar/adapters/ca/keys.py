"""Subscriber keys sealed in PKCS#12 under the subscriber's passphrase (issue 12): PBES2 with
AES-256-CBC and PBKDF2-HMAC-SHA256 at 600,000 iterations for the key and the certificates --
never RC2 or 3DES -- and a PBMAC1 MAC (RFC 9579) from PBKDF2-HMAC-SHA256 at as many. The key
exists unencrypted only inside ``create`` and ``reseal``.

The MAC is why the file is rewritten after ``cryptography`` made it: its own MAC key comes
from the PKCS#12 KDF at 2,048 iterations, which no option raises, and a MAC is checked with
the passphrase alone -- an offline guess at it cost 1/300 of a guess at the key bag. PBMAC1
is read by OpenSSL 3.4 and later (``cryptography``'s own, so every load here checks it);
nothing else reads these files: the subscriber downloads the certificate, never the key."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import ClassVar

from asn1crypto import algos, core
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import pkcs12

from gerbang_sidecar.ports.ca import Issue, KeyStore, WrongPassphrase

KDF_ROUNDS = 600_000
PBMAC1 = "1.2.840.113549.1.5.14"  # RFC 9579
KEY_SIZE = 2048


def seal(key: rsa.RSAPrivateKey, certificate: x509.Certificate,
         chain: Sequence[x509.Certificate], passphrase: str, name: bytes) -> bytes:
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .kdf_rounds(KDF_ROUNDS)
                  .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
                  .hmac_hash(hashes.SHA256())
                  .build(passphrase.encode("ascii")))
    sealed = pkcs12.serialize_key_and_certificates(name, key, certificate, list(chain),
                                                   encryption)
    return with_pbmac1(sealed, passphrase.encode("ascii"))


class Pbmac1Parameters(core.Sequence):
    """RFC 9579 section 3: PBMAC1-params."""

    _fields: ClassVar[list[tuple[str, type[core.Asn1Value]]]] = [
        ("key_derivation_func", algos.KdfAlgorithm),
        ("message_auth_scheme", algos.HmacAlgorithm)]


def with_pbmac1(sealed: bytes, passphrase: bytes, rounds: int = KDF_ROUNDS) -> bytes:
    """``sealed`` with its MAC replaced by PBMAC1: HMAC-SHA256 over the authenticated safe
    under a key from PBKDF2-HMAC-SHA256 (``rounds``, a fresh 16-byte salt). The MacData's
    own salt and count are unused by PBMAC1 (RFC 9579 says what to put there)."""
    pfx = asn1_pkcs12.Pfx.load(sealed)
    salt = os.urandom(16)
    mac_key = PBKDF2HMAC(hashes.SHA256(), length=32, salt=salt,
                         iterations=rounds).derive(passphrase)
    tag = hmac.HMAC(mac_key, hashes.SHA256())
    tag.update(pfx["auth_safe"]["content"].native)
    parameters = Pbmac1Parameters({
        "key_derivation_func": {"algorithm": "pbkdf2", "parameters": {
            "salt": algos.Pbkdf2Salt(name="specified", value=salt),
            "iteration_count": rounds, "key_length": 32, "prf": {"algorithm": "sha256"}}},
        "message_auth_scheme": {"algorithm": "sha256"}})
    return asn1_pkcs12.Pfx({
        "version": pfx["version"], "auth_safe": pfx["auth_safe"],
        "mac_data": {"mac": {"digest_algorithm": {
                         "algorithm": PBMAC1, "parameters": core.Any.load(parameters.dump())},
                         "digest": tag.finalize()},
                     "mac_salt": b"NOT USED"}}).dump(force=True)


class RsaSubscriberKeys:
    def create(self, passphrase: str, issue: Issue, chain: Sequence[bytes]) -> KeyStore:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        issued = issue(key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
        certificate = x509.load_der_x509_certificate(issued.certificate)
        sealed = seal(key, certificate, [x509.load_der_x509_certificate(c) for c in chain],
                      passphrase, name=str(issued.serial_number).encode("ascii"))
        return KeyStore(sealed, issued)

    def reseal(self, sealed: bytes, old: str, new: str) -> bytes:
        try:
            loaded = pkcs12.load_pkcs12(sealed, old.encode("ascii", "replace"))
        except ValueError:
            raise WrongPassphrase() from None
        key, certificate = loaded.key, loaded.cert
        if not isinstance(key, rsa.RSAPrivateKey) or certificate is None:
            raise WrongPassphrase()
        return seal(key, certificate.certificate,
                    [c.certificate for c in loaded.additional_certs], new,
                    name=certificate.friendly_name or b"")
