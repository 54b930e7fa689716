"""Subscriber keys sealed in PKCS#12 under the subscriber's passphrase (issue 12): PBES2 with
AES-256-CBC and PBKDF2-HMAC-SHA256 at 600,000 iterations for the key and the certificates,
an HMAC-SHA256 MAC -- never RC2 or 3DES. The key exists unencrypted only inside ``create``."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from gerbang_sidecar.ports.ca import Issue, KeyStore, WrongPassphrase

KDF_ROUNDS = 600_000
KEY_SIZE = 2048


def seal(key: rsa.RSAPrivateKey, certificate: x509.Certificate,
         chain: Sequence[x509.Certificate], passphrase: str, name: bytes) -> bytes:
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .kdf_rounds(KDF_ROUNDS)
                  .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
                  .hmac_hash(hashes.SHA256())
                  .build(passphrase.encode("ascii")))
    return pkcs12.serialize_key_and_certificates(name, key, certificate, list(chain),
                                                 encryption)


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
