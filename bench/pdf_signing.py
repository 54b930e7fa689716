"""Issue 12 item 13 (X7): signing a 1 MB PDF through Gerbang's signing service beside
pyHanko alone producing the same kind of signature from the same PKCS#12, in one run.

Gerbang's side is ``DocumentSigning.sign`` as "Tanda Tangan Dokumen" calls it: the
certificate's row and PKCS#12 from the database, the refusal checks (status, validity,
lock, the account in the Keycloak twin, a pending profile change), the PDF inspected
(pypdf), the CA's CRL built from the database, ``PadesSigner`` (pyHanko: the PKCS#12 opened
with the passphrase, a visible CAdES-detached signature, the chain and the CRL in a DSS),
then the audit rows. The baseline is what an integrator would write with pyHanko alone:
``SimpleSigner.load_pkcs12`` from the file, ``signers.sign_pdf`` with a new visible field
and the same metadata (PAdES subfilter, revocation info embedded from the same CRL, fetched
once beforehand). Both open the PKCS#12 for every signature (600,000 PBKDF2 iterations per
bag and MAC) -- a fair comparison, as neither may keep the key.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from asn1crypto import cms, core
from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from PIL import Image
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, general, signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from bench.certificates import (
    INSTANSI,
    PASSPHRASE,
    REALM,
    BareCa,
    RevokedRow,
    insert_revoked,
    issue_sealed,
    sidecar_ca,
    store_certificate,
)
from bench.crl import revoked_rows
from bench.report import Row, Table, fmt_ratio, fmt_seconds
from bench.runner import Bounds, timed_pair
from gerbang_sidecar.domain.certificates.profiles import person_subject
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.services.certificates.signing import Signed
from gerbang_sidecar.wiring import Services

TARGET_BYTES = 1024 * 1024
PAGES = 4
REVOKED = 100  # other certificates of the CA already revoked: the CRL both sides embed
FIELD = "TandaTangan"
BOX = (40, 40, 300, 110)  # as PadesSigner's first box


def scanned_pdf(target: int = TARGET_BYTES, pages: int = PAGES) -> bytes:
    """A scanned letter of about ``target`` bytes (at most 5 % over): A4 pages at 150 dpi,
    each a JPEG of grainy grey (what a scanner makes), written by Pillow as a plain PDF; the
    JPEG quality is searched for the size."""
    images = []
    for _ in range(pages):
        noise = Image.effect_noise((1240, 1754), 20).convert("RGB")
        images.append(Image.blend(Image.new("RGB", noise.size, "white"), noise, 0.35))

    def written(quality: int) -> bytes:
        out = io.BytesIO()
        images[0].save(out, format="PDF", resolution=150, save_all=True,
                       append_images=images[1:], quality=quality)
        return out.getvalue()

    low, high = 10, 95  # the best quality whose file fits
    while low < high:
        middle = (low + high + 1) // 2
        if len(written(middle)) <= target * 1.05:
            low = middle
        else:
            high = middle - 1
    return written(low)


def make_holder(services: Services) -> str:
    """A verified BSrE account with no pending profile change, in the Keycloak twin."""
    return services.keycloak.create_user(REALM, NewUser(
        username="agus@bssn.go.id", email="agus@bssn.go.id", first_name="Agus Wijaya",
        email_verified=True, attributes={"instansi": INSTANSI, "nik": "3174041503800005",
                                         "verificationStatus": "terverifikasi"}))


class LoadedKeyTimeStamper(DummyTimeStamper):
    """pyHanko's own in-process RFC 3161 authority, its key loaded once.

    The stock class loads the TSA's key from DER for every timestamp, and ``cryptography``
    checks an RSA key as it loads it: some 100 ms for RSA-3072, which no TSA spends per
    request (the sidecar's loads its key once) and which would burden the baseline alone.
    The signing is the stock method's, with the key kept.
    """

    def __init__(self, certificate: asn1_x509.Certificate, key: rsa.RSAPrivateKey) -> None:
        info = asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        super().__init__(tsa_cert=certificate, tsa_key=info)
        self._key = key

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str,
                       dt: datetime) -> tuple[bytes, cms.CMSAttributes]:
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes([
            general.simple_cms_attribute("content_type", "tst_info"),
            general.simple_cms_attribute("signing_time",
                                         cms.Time({"utc_time": core.UTCTime(dt)})),
            general.simple_cms_attribute("signing_certificate",
                                         general.as_signing_certificate(self.tsa_cert)),
            general.simple_cms_attribute("message_digest", digest.finalize()),
        ])
        signature = self._key.sign(signed_attrs.dump(), padding.PKCS1v15(),
                                   get_pyca_cryptography_hash(md_algorithm.upper()))
        return signature, signed_attrs


def pyhanko_timestamper(ca: BareCa) -> DummyTimeStamper | None:
    """pyHanko's in-process RFC 3161 authority with the CA's TSA certificate and key, when
    the sidecar stamps its signatures (PAdES B-LT): the same kind of signature."""
    if ca.tsa is None or ca.tsa_key is None:
        return None
    certificate = asn1_x509.Certificate.load(ca.tsa.public_bytes(serialization.Encoding.DER))
    return LoadedKeyTimeStamper(certificate, ca.tsa_key)


def pyhanko_signing(ca: BareCa, pkcs12_path: Path, crl: bytes,
                    clock: Callable[[], datetime]) -> Callable[[bytes], bytes]:
    der = serialization.Encoding.DER
    root = asn1_x509.Certificate.load(ca.root.public_bytes(der))
    issuing = asn1_x509.Certificate.load(ca.issuing.public_bytes(der))
    revocation = asn1_crl.CertificateList.load(crl)
    timestamper = pyhanko_timestamper(ca)

    def sign(pdf: bytes) -> bytes:
        signer = signers.SimpleSigner.load_pkcs12(pkcs12_path,
                                                  passphrase=PASSPHRASE.encode("ascii"))
        assert signer is not None
        context = ValidationContext(trust_roots=[root], other_certs=[issuing],
                                    crls=[revocation], allow_fetching=False,
                                    revocation_mode="hard-fail", moment=clock())
        metadata = signers.PdfSignatureMetadata(
            field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=True, validation_context=context,
            reason="Tanda tangan elektronik", location="Indonesia")
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        out = signers.sign_pdf(writer, metadata, signer=signer, timestamper=timestamper,
                               new_field_spec=fields.SigFieldSpec(
                                   sig_field_name=FIELD, box=BOX, on_page=0))
        return out.getvalue()  # type: ignore[no-any-return]

    return sign


def check_signed(pdf: bytes, ca: BareCa, crl: bytes, label: str) -> bool:
    """A PAdES signature that pyHanko validates against the root, with a DSS holding the
    CRL: what both sides must produce. True when it carries a signature timestamp."""
    der = serialization.Encoding.DER
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    signature = reader.embedded_signatures[0]
    if signature.sig_object["/SubFilter"] != "/ETSI.CAdES.detached":
        raise RuntimeError(f"{label}: not a PAdES signature")
    if "/DSS" not in reader.root or "/CRLs" not in reader.root["/DSS"]:
        raise RuntimeError(f"{label}: no revocation data embedded")
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(ca.root.public_bytes(der))],
        other_certs=[asn1_x509.Certificate.load(ca.issuing.public_bytes(der))],
        crls=[asn1_crl.CertificateList.load(crl)], allow_fetching=False)
    status = validate_pdf_signature(signature, context, ts_validation_context=context)
    if not (status.intact and status.valid and status.trusted):
        raise RuntimeError(f"{label}: the signature does not validate")
    stamp = status.timestamp_validity
    if stamp is not None and not (stamp.intact and stamp.valid and stamp.trusted):
        raise RuntimeError(f"{label}: the signature timestamp does not validate")
    return stamp is not None


def run(bounds: Bounds, log: Callable[[str], None] = print) -> Table:
    count = max(10, min(40, bounds.count // 2))
    # pyHanko warns on every signature that nothing may be fetched: on purpose, both sides
    # are handed their CRL (the sidecar is the CA).
    logging.getLogger("pyhanko.sign.signers.pdf_signer").setLevel(logging.ERROR)
    pdf = scanned_pdf()
    with sidecar_ca("signing") as fixture:
        services = fixture.services
        now = services.clock()
        holder = make_holder(services)
        subject = person_subject("Agus Wijaya", INSTANSI, "3174041503800005")
        sealed = issue_sealed(services, subject, now=now)
        certificate_id = store_certificate(services, sealed, user_id=holder, now=now)
        rows: list[RevokedRow] = revoked_rows(REVOKED, now)
        insert_revoked(services, rows, sealed, now=now)
        pkcs12_path = fixture.folder / "holder.p12"
        pkcs12_path.write_bytes(sealed.pkcs12)
        crl = services.certificates.crl()  # the published CRL, fetched once by the baseline
        ca = fixture.bare()
        bare = pyhanko_signing(ca, pkcs12_path, crl, services.clock)

        def ours(_: int) -> bytes:
            result = services.signing.sign(holder, certificate_id, pdf, PASSPHRASE,
                                           "surat.pdf")
            if not isinstance(result, Signed):
                raise RuntimeError(f"not signed: {result}")
            return result.pdf

        stamped = check_signed(ours(0), ca, crl, "gerbang")
        if check_signed(bare(pdf), ca, crl, "pyHanko") != stamped:
            raise RuntimeError("one side stamps its signatures, the other does not")
        log(f"pdf signing: {count} signatures of {len(pdf) / 1e6:.1f} MB per side ...")
        gerbang, baseline = timed_pair(
            ours, lambda _: bare(pdf),
            Bounds(count=count, warmup=2, max_seconds=bounds.max_seconds, block=5),
            ("gerbang signing", "pyHanko alone"), log)
    table = Table(title="PDF signing (issue 12 item 13, X7): a 1 MB PDF, PAdES with "
                        "revocation data",
                  gerbang_label="Gerbang DocumentSigning.sign",
                  baseline_label="pyHanko alone")
    table.rows += [
        Row("signatures/s (one at a time)", f"{gerbang.per_second:.2f}",
            f"{baseline.per_second:.2f}", fmt_ratio(gerbang.per_second / baseline.per_second)),
        Row(f"p50 of {gerbang.count}", fmt_seconds(gerbang.p50), fmt_seconds(baseline.p50),
            fmt_ratio(gerbang.p50 / baseline.p50)),
        Row("p95", fmt_seconds(gerbang.p95), fmt_seconds(baseline.p95),
            fmt_ratio(gerbang.p95 / baseline.p95)),
    ]
    kind = ("B-LT: a signature timestamp from the CA's time-stamping authority (Gerbang's "
            "own RFC 3161 code; pyHanko's DummyTimeStamper with the same TSA certificate and "
            "key, loaded once) and the validation data in a DSS" if stamped else
            "the validation data in a DSS, no signature timestamp")
    table.notes += [
        f"the signature: PAdES {kind}.",
        f"the PDF: {len(pdf) / 1e6:.2f} MB, {PAGES} scanned A4 pages (JPEG) written by "
        f"Pillow; the CA has {REVOKED} revoked certificates, so both embed a CRL of "
        f"{len(crl):,} B, and the chain. Checked before timing: both signatures are "
        "PAdES (ETSI.CAdES.detached), validate against the root and carry a DSS with the "
        "CRL.",
        "both open the PKCS#12 with the passphrase for every signature (PBKDF2-SHA256 at "
        "600,000 iterations for each bag and the MAC: a large share of either side's time). "
        "Gerbang's side also inspects the PDF, asks the database whether a revocation "
        "happened since its CRL was signed (reusing it otherwise, see the CRL table) and "
        "writes audit rows; the baseline was handed the CRL.",
    ]
    return table
