"""A root and an issuing CA on ``cryptography``, their keys encrypted under a key-encryption
key (KEK) from the environment -- never in the repository.

``create_hierarchy`` makes both (the explicit command calls it once per environment) and
``with_timestamping`` adds the time-stamping authority (adapters/ca/timestamping.py);
``LocalCertificateAuthority`` issues subscriber certificates and the issuing CA's CRL, answers
OCSP, time-stamps and gives its responder and TSA new keys (``recertify``). Every
certificate names where its status is published (AIA: OCSP and the CA's certificate; CRL
distribution point) under ``publication_url``. Keys are RSA: 4096 bits for the root, 3072 for
the issuing CA, 2048 for subscribers (docs/certificates.md gives the reasons).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from gerbang_sidecar.adapters.ca.timestamping import (
    TimeStampAuthority,
    TimestampingMissing,
    certify_tsa,
)
from gerbang_sidecar.domain.certificates.profiles import VALIDITY, Profile, Subject
from gerbang_sidecar.domain.certificates.service_keys import ServiceKey
from gerbang_sidecar.ports.ca import IssuedCertificate, Revocation, StatusLookup

ROOT_VALIDITY = timedelta(days=365 * 20)
ISSUING_VALIDITY = timedelta(days=365 * 8)
RESPONDER_VALIDITY = timedelta(days=365 * 2)
OCSP_VALIDITY = timedelta(hours=1)
MAX_NONCE_OCTETS = 32  # RFC 8954 2.1: longer or empty nonces are malformed requests
MALFORMED_REQUEST = ocsp.OCSPResponseBuilder.build_unsuccessful(
    ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(serialization.Encoding.DER)
UNAUTHORIZED = ocsp.OCSPResponseBuilder.build_unsuccessful(
    ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(serialization.Encoding.DER)
REASONS = {
    "unspecified": x509.ReasonFlags.unspecified,
    "key_compromise": x509.ReasonFlags.key_compromise,
    "affiliation_changed": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
    "certificate_hold": x509.ReasonFlags.certificate_hold,
    "privilege_withdrawn": x509.ReasonFlags.privilege_withdrawn,
}


@dataclass(frozen=True)
class CaMaterial:
    """What is stored of a hierarchy: certificates (PEM) and keys encrypted under the KEK."""

    root_certificate: bytes
    root_key: bytes  # PKCS#8, encrypted
    issuing_certificate: bytes
    issuing_key: bytes  # PKCS#8, encrypted
    # The delegated OCSP responder (RFC 6960 4.2.2.2), certified by the issuing CA.
    responder_certificate: bytes
    responder_key: bytes  # PKCS#8, encrypted
    # The time-stamping authority (RFC 3161), certified by the issuing CA; None in a
    # hierarchy made before it existed, until ``with_timestamping`` adds it.
    tsa_certificate: bytes | None = None
    tsa_key: bytes | None = None  # PKCS#8, encrypted


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _serial() -> int:
    return secrets.randbits(159) | 1  # positive, at most 20 octets, never 0


def _encrypt(key: rsa.RSAPrivateKey, kek: bytes) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(kek))


def create_hierarchy(kek: bytes, *, now: datetime, organization: str = "Gerbang",
                     environment: str = "local") -> CaMaterial:
    """A fresh root and issuing CA for one environment."""
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    root_name = _name(f"Gerbang Root CA ({environment})", organization)
    root = (x509.CertificateBuilder()
            .subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(_serial())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + ROOT_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_ca_usage(), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()),
                           critical=False)
            .sign(root_key, hashes.SHA384()))
    issuing_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    issuing = (x509.CertificateBuilder()
               .subject_name(_name(f"Gerbang Issuing CA ({environment})", organization))
               .issuer_name(root_name)
               .public_key(issuing_key.public_key()).serial_number(_serial())
               .not_valid_before(now - timedelta(minutes=5))
               .not_valid_after(now + ISSUING_VALIDITY)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(_ca_usage(), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                   issuing_key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   root_key.public_key()), critical=False)
               .sign(root_key, hashes.SHA384()))
    responder, responder_key = certify_responder(
        _name(f"Gerbang OCSP Responder ({environment})", organization), issuing, issuing_key,
        kek, now=now)
    pem = serialization.Encoding.PEM
    return CaMaterial(root.public_bytes(pem), _encrypt(root_key, kek), issuing.public_bytes(pem),
                      _encrypt(issuing_key, kek), responder, responder_key)


def certify_responder(subject: x509.Name, issuing: x509.Certificate,
                      issuing_key: rsa.RSAPrivateKey, kek: bytes, *,
                      now: datetime) -> tuple[bytes, bytes]:
    """A new delegated OCSP responder (RFC 6960 4.2.2.2): (certificate PEM, PKCS#8 key PEM
    encrypted under the KEK). Never valid past the issuing CA."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuing.subject)
        .public_key(key.public_key()).serial_number(_serial())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(min(now + RESPONDER_VALIDITY, issuing.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]),
                       critical=True)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuing_key.public_key()), critical=False)
        .sign(issuing_key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM), _encrypt(key, kek)


def with_timestamping(material: CaMaterial, kek: bytes, publication_url: str, *,
                      now: datetime) -> CaMaterial:
    """The hierarchy with a time-stamping authority (unchanged if it has one)."""
    if material.tsa_certificate is not None:
        return material
    certificate, key = LocalCertificateAuthority(material, kek, publication_url) \
        .certify_timestamping(now=now)
    return replace(material, tsa_certificate=certificate, tsa_key=key)


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=True, crl_sign=True, encipher_only=False,
                         decipher_only=False)


class LocalCertificateAuthority:
    def __init__(self, material: CaMaterial, kek: bytes, publication_url: str) -> None:
        self._root = x509.load_pem_x509_certificate(material.root_certificate)
        self._issuing = x509.load_pem_x509_certificate(material.issuing_certificate)
        key = serialization.load_pem_private_key(material.issuing_key, password=kek)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the issuing CA's key is not an RSA key")
        self._key = key
        self._responder = x509.load_pem_x509_certificate(material.responder_certificate)
        responder_key = serialization.load_pem_private_key(material.responder_key,
                                                           password=kek)
        if not isinstance(responder_key, rsa.RSAPrivateKey):
            raise ValueError("the OCSP responder's key is not an RSA key")
        self._responder_key = responder_key
        self._kek = kek
        # The CertIDs that name the issuing CA: (hash algorithm, hash of its name, hash of its
        # key) for each algorithm clients use, computed once, not per request. Anything else
        # is another CA's question (unauthorized) and never reaches the kept answers.
        # SHA-1 names an issuer here, it signs nothing: most OCSP clients still send it.
        certid_algorithms = (hashes.SHA1(), hashes.SHA256(),  # noqa: S303
                             hashes.SHA384(), hashes.SHA512())
        self._issuer_cert_ids = {
            (algorithm.name, _digest(algorithm, self._issuing.subject.public_bytes()),
             _key_hash(self._issuing, algorithm)) for algorithm in certid_algorithms}
        self._tsa = None if material.tsa_certificate is None or material.tsa_key is None \
            else TimeStampAuthority(material.tsa_certificate, material.tsa_key, kek,
                                    self._issuing)
        base = publication_url.rstrip("/")
        self.ocsp_url = f"{base}/pki/ocsp"
        self.ca_url = f"{base}/pki/issuing-ca.crt"
        self.crl_url = f"{base}/pki/issuing-ca.crl"

    def chain(self) -> list[bytes]:
        der = serialization.Encoding.DER
        return [self._issuing.public_bytes(der), self._root.public_bytes(der)]

    def issue(self, public_key: bytes, subject: Subject, profile: Profile, *,
              now: datetime) -> IssuedCertificate:
        key = serialization.load_der_public_key(public_key)
        serial = _serial()
        not_after = min(now + VALIDITY, self._issuing.not_valid_after_utc)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_subject_name(subject))
            .issuer_name(self._issuing.subject)
            .public_key(key)  # type: ignore[arg-type]
            .serial_number(serial)
            .not_valid_before(now)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=profile.digital_signature,
                content_commitment=profile.content_commitment, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage(
                [x509.ObjectIdentifier(purpose) for purpose in profile.purposes]),
                critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key),  # type: ignore[arg-type]
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                self._key.public_key()), critical=False)
            .add_extension(x509.AuthorityInformationAccess([
                x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                       x509.UniformResourceIdentifier(self.ocsp_url)),
                x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                       x509.UniformResourceIdentifier(self.ca_url))]),
                critical=False)
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier(self.crl_url)], relative_name=None,
                reasons=None, crl_issuer=None)]), critical=False)
            .sign(self._key, hashes.SHA256()))
        return IssuedCertificate(serial, certificate.public_bytes(serialization.Encoding.DER),
                                 certificate.not_valid_before_utc,
                                 certificate.not_valid_after_utc)

    def ocsp(self, request: bytes, status_of: StatusLookup, *, now: datetime) -> bytes:
        """RFC 6960: good, revoked or unknown for the one certificate asked about, signed by
        the delegated responder, the request's nonce echoed; a malformed request or another
        CA's certificate gets the matching error status."""
        try:
            asked = _asked(request)
        except _Malformed:
            return MALFORMED_REQUEST
        if asked.cert_id not in self._issuer_cert_ids:
            return UNAUTHORIZED
        found = status_of(asked.serial)
        if found is None:
            status, revoked_at, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
        elif found[0] == "revoked":
            status, revoked_at = ocsp.OCSPCertStatus.REVOKED, found[1]
            reason = _stated_reason(found[2])
        else:
            status, revoked_at, reason = ocsp.OCSPCertStatus.GOOD, None, None
        builder = (ocsp.OCSPResponseBuilder()
                   .add_response_by_hash(
                       issuer_name_hash=asked.issuer_name_hash,
                       issuer_key_hash=asked.issuer_key_hash,
                       serial_number=asked.serial, algorithm=asked.algorithm,
                       cert_status=status, this_update=now, next_update=now + OCSP_VALIDITY,
                       revocation_time=revoked_at, revocation_reason=reason)
                   .responder_id(ocsp.OCSPResponderEncoding.HASH, self._responder)
                   .certificates([self._responder]))
        if asked.nonce is not None:
            builder = builder.add_extension(asked.nonce, critical=False)
        return builder.sign(self._responder_key, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER)

    @property
    def has_timestamping(self) -> bool:
        return self._tsa is not None

    def certify_timestamping(self, *, now: datetime) -> tuple[bytes, bytes]:
        """A new TSA certificate (PEM) and its key (PKCS#8 PEM, encrypted under the KEK)."""
        return certify_tsa(self._issuing, self._key, self._kek, now=now, crl_url=self.crl_url,
                           ca_url=self.ca_url)

    def recertify(self, service: ServiceKey, *, now: datetime) -> tuple[bytes, bytes]:
        """A new key and certificate for one of the CA's own services, under its old name:
        (certificate PEM, PKCS#8 key PEM encrypted under the KEK)."""
        if service is ServiceKey.OCSP_RESPONDER:
            return certify_responder(self._responder.subject, self._issuing, self._key,
                                     self._kek, now=now)
        return self.certify_timestamping(now=now)

    def timestamp(self, request: bytes, *, now: datetime) -> bytes:
        """RFC 3161: a TimeStampResp (DER) to a TimeStampReq (DER)."""
        if self._tsa is None:
            raise TimestampingMissing("run python -m gerbang_sidecar ca-init")
        return self._tsa.respond(request, now=now)

    def crl(self, revoked: Sequence[Revocation], *, number: int, now: datetime,
            next_update: datetime) -> bytes:
        # The entries go to the builder at once: add_revoked_certificate copies the list
        # built so far each time, quadratic in the entries (15 s for 100,000).
        entries = [_crl_entry(entry) for entry in revoked]
        builder = (x509.CertificateRevocationListBuilder(revoked_certificates=entries)
                   .issuer_name(self._issuing.subject)
                   .last_update(now).next_update(next_update)
                   .add_extension(x509.CRLNumber(number), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                       self._key.public_key()), critical=False))
        return builder.sign(self._key, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER)


def _subject_name(subject: Subject) -> x509.Name:
    """C, O (left out when the profile names no instansi: never an empty value), serialNumber
    and CN, in that order."""
    attributes = [(NameOID.COUNTRY_NAME, subject.country),
                  (NameOID.ORGANIZATION_NAME, subject.organization),
                  (NameOID.SERIAL_NUMBER, subject.serial_number),
                  (NameOID.COMMON_NAME, subject.common_name)]
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes if value])


class _Malformed(Exception):
    """An OCSP request this responder cannot read, or one RFC 6960 / RFC 8954 refuses."""


@dataclass(frozen=True)
class _Asked:
    algorithm: hashes.HashAlgorithm
    issuer_name_hash: bytes
    issuer_key_hash: bytes
    serial: int
    nonce: x509.OCSPNonce | None

    @property
    def cert_id(self) -> tuple[str, bytes, bytes]:
        return (self.algorithm.name, self.issuer_name_hash, self.issuer_key_hash)


def _asked(request: bytes) -> _Asked:
    """What a request asks, or _Malformed: unreadable DER, several certificates in one request
    (not served), a hash algorithm ``cryptography`` does not know, a negative serial, a nonce
    outside RFC 8954's 1-32 octets, a critical extension not understood (RFC 6960 4.4)."""
    try:
        parsed = ocsp.load_der_ocsp_request(request)
        asked = _Asked(parsed.hash_algorithm, parsed.issuer_name_hash, parsed.issuer_key_hash,
                       parsed.serial_number, None)
        extensions = list(parsed.extensions)
    except (ValueError, NotImplementedError, UnsupportedAlgorithm,
            x509.DuplicateExtension) as exc:
        raise _Malformed from exc
    if asked.serial < 0:
        raise _Malformed
    for extension in extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            if not 1 <= len(extension.value.nonce) <= MAX_NONCE_OCTETS:
                raise _Malformed
            asked = replace(asked, nonce=extension.value)
        elif extension.critical:
            raise _Malformed
    return asked


def _crl_entry(entry: Revocation) -> x509.RevokedCertificate:
    builder = (x509.RevokedCertificateBuilder()
               .serial_number(entry.serial_number).revocation_date(entry.revoked_at))
    reason = _stated_reason(entry.reason)
    if reason is not None:
        builder = builder.add_extension(x509.CRLReason(reason), critical=False)
    return builder.build()


def _stated_reason(reason: str | None) -> x509.ReasonFlags | None:
    """RFC 5280 5.3.1: "unspecified" is not written; the reason is left out instead."""
    if reason is None or reason == "unspecified":
        return None
    return REASONS.get(reason)


def _digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(data)
    return digest.finalize()


def _key_hash(certificate: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    """The hash of the certificate's public key bits, as an OCSP CertID names its issuer."""
    digest = hashes.Hash(algorithm)
    public = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    digest.update(public)
    return digest.finalize()
