"""The CA's time-stamping authority (RFC 3161), so that signatures carry a signature
timestamp and become PAdES B-LT (issue 12, X7; docs/certificates.md gives the profile).

``certify_tsa`` makes its key and certificate -- issued by the issuing CA, the one
``id-kp-timeStamping`` extended key usage, critical (RFC 3161 2.3) -- and
``TimeStampAuthority.respond`` answers a TimeStampReq (DER) with a TimeStampResp (DER). The
same bytes go in and out whether the caller is the signing service in this process or an
HTTP client of ``/pki/tsa`` (openssl ts, pyHanko's HTTPTimeStamper).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import ClassVar

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

# The TSA policy (TSTInfo.policy): an OID under the UUID arc 2.25 (ITU-T X.667), which needs
# no registration; the policy document it names is the operator's (docs/certificates.md).
POLICY = "2.25.159187734433631812468399486047893156503"
# Message imprints we accept: SHA-1 and shorter are refused (badAlg).
DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
ACCURACY_SECONDS = 1  # what an NTP-synchronised host clock can honestly promise
TSA_KEY_BITS = 3072  # a timestamp is evidence for years: stronger than a subscriber's 2048


class TimestampingMissing(RuntimeError):
    """The hierarchy has no TSA yet (made before migration 0015): ``ca-init`` adds one."""


def tsa_name(issuing: x509.Name) -> x509.Name:
    """The issuing CA's country and organisation; the environment its name carries."""
    common = issuing.get_attributes_for_oid(NameOID.COMMON_NAME)
    found = re.search(r"\(([^)]+)\)$", str(common[0].value)) if common else None
    suffix = f" ({found.group(1)})" if found else ""
    keep = [a for a in issuing if a.oid != NameOID.COMMON_NAME]
    return x509.Name([*keep, x509.NameAttribute(
        NameOID.COMMON_NAME, f"Gerbang Time-Stamping Authority{suffix}")])


def certify_tsa(issuing: x509.Certificate, issuing_key: rsa.RSAPrivateKey, kek: bytes, *,
                now: datetime, crl_url: str, ca_url: str) -> tuple[bytes, bytes]:
    """A new TSA key and its certificate: (certificate PEM, PKCS#8 key PEM encrypted under
    the KEK). Valid as long as the issuing CA, so timestamps stay checkable as long as the
    hierarchy is; revocation through the issuing CA's CRL, like a subscriber's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=TSA_KEY_BITS)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(tsa_name(issuing.subject)).issuer_name(issuing.subject)
        .public_key(key.public_key()).serial_number(secrets.randbits(159) | 1)
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(issuing.not_valid_after_utc)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        # RFC 3161 2.3: exactly this one purpose, and critical.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuing_key.public_key()), critical=False)
        # No OCSP URL: the responder answers only for certificates in the store, and the
        # TSA's is not one; the CRL covers it (never listed unless revoked).
        .add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(ca_url))]),
            critical=False)
        .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(crl_url)], relative_name=None,
            reasons=None, crl_issuer=None)]), critical=False)
        .sign(issuing_key, hashes.SHA256()))
    sealed = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.BestAvailableEncryption(kek))
    return certificate.public_bytes(serialization.Encoding.PEM), sealed


class TimeStampAuthority:
    def __init__(self, certificate_pem: bytes, key_pem: bytes, kek: bytes,
                 issuing: x509.Certificate) -> None:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
        key = serialization.load_pem_private_key(key_pem, password=kek)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the TSA's key is not an RSA key")
        self._key = key
        der = certificate.public_bytes(serialization.Encoding.DER)
        self._certificate = asn1_x509.Certificate.load(der)
        self._certificate_hash = hashlib.sha256(der).digest()
        # The issuing CA goes into every token too: a validator holding only the root can
        # then build the TSA's path from the token alone.
        self._issuing = asn1_x509.Certificate.load(
            issuing.public_bytes(serialization.Encoding.DER))
        self.certificate = der

    def respond(self, request: bytes, *, now: datetime) -> bytes:
        """RFC 3161 2.4.2: granted with a token, or rejection with the failure reason."""
        try:
            parsed = tsp.TimeStampReq.load(request)
            _ = parsed.native  # asn1crypto parses lazily: find garbage here, not later
        except (ValueError, TypeError):
            return _rejection("bad_data_format")
        imprint = parsed["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if parsed["version"].native != "v1":
            return _rejection("bad_request")
        if DIGEST_SIZES.get(algorithm) != len(imprint["hashed_message"].native):
            return _rejection("bad_alg")
        if parsed["req_policy"].native not in (None, POLICY):
            return _rejection("unaccepted_policy")
        if parsed["extensions"].native:
            return _rejection("unaccepted_extensions")  # we support none
        info = {
            "version": "v1", "policy": POLICY, "message_imprint": imprint,
            # Unique per token (RFC 3161 2.4.2): 159 random bits, like certificate serials.
            "serial_number": secrets.randbits(159) | 1,
            "gen_time": now, "accuracy": {"seconds": ACCURACY_SECONDS},
            "tsa": asn1_x509.GeneralName(name="directory_name",
                                         value=self._certificate.subject)}
        if parsed["nonce"].native is not None:
            info["nonce"] = parsed["nonce"].native
        token = self._sign(tsp.TSTInfo(info).dump(), include_certificates=bool(
            parsed["cert_req"].native))
        return tsp.TimeStampResp({"status": {"status": "granted"},
                                  "time_stamp_token": token}).dump()

    def _sign(self, tst_info: bytes, *, include_certificates: bool) -> cms.ContentInfo:
        signed_attributes = cms.CMSAttributes([
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "message_digest",
                              "values": [hashlib.sha256(tst_info).digest()]}),
            # RFC 5816: ESSCertIDv2 (SHA-256) names the TSA certificate.
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [
                tsp.SigningCertificateV2({"certs": [{
                    "cert_hash": self._certificate_hash,
                    "issuer_serial": {
                        "issuer": [asn1_x509.GeneralName(
                            name="directory_name", value=self._certificate.issuer)],
                        "serial_number": self._certificate.serial_number}}]})]}),
        ])
        signature = self._key.sign(signed_attributes.dump(), padding.PKCS1v15(),
                                   hashes.SHA256())
        signed_data: dict[str, object] = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info",
                                   "content": cms.ParsableOctetString(tst_info)},
            "signer_infos": [{
                "version": "v1",
                "sid": {"issuer_and_serial_number": {
                    "issuer": self._certificate.issuer,
                    "serial_number": self._certificate.serial_number}},
                "digest_algorithm": {"algorithm": "sha256"},
                "signature_algorithm": {"algorithm": "sha256_rsa"},
                "signed_attrs": signed_attributes,
                "signature": signature}]}
        # RFC 3161 2.4.1: the certificate only when certReq asked for it.
        if include_certificates:
            signed_data["certificates"] = [self._certificate, self._issuing]
        return cms.ContentInfo({"content_type": "signed_data",
                                "content": cms.SignedData(signed_data)})


class _Rejection(core.Sequence):
    """TimeStampResp without its (OPTIONAL) token: asn1crypto's own class wrongly requires
    one."""

    _fields: ClassVar[list[tuple[str, type]]] = [("status", tsp.PKIStatusInfo)]


def _rejection(reason: str) -> bytes:
    return _Rejection({"status": {
        "status": "rejection", "fail_info": tsp.PKIFailureInfo({reason})}}).dump()
