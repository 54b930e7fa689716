"""PAdES signatures on pyHanko (X7): the subscriber's key opened from its PKCS#12 with the
passphrase typed for this signature, a CAdES-detached signature (subfilter
ETSI.CAdES.detached) in a visible box -- the signer's name and the time, in Western
Indonesian Time -- and the validation data (the chain and the CRL this CA publishes) added in
a DSS, so the signature validates years later without asking the CA (long-term validation,
PAdES B-LT). Nothing is fetched over the network: the sidecar hands over its own CRL."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko import stamp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from gerbang_sidecar.ports.ca import WrongPassphrase
from gerbang_sidecar.ports.signing import SignatureReport, SigningMaterial, UnreadablePdf

log = logging.getLogger(__name__)
FIELD = "TandaTanganBSrE"
BOX = (40, 40, 330, 110)  # bottom-left of the first page, in points
WIB = ZoneInfo("Asia/Jakarta")


class PadesSigner:
    def sign(self, pdf: bytes, pkcs12: bytes, passphrase: str, material: SigningMaterial, *,
             signer_name: str, now: datetime) -> bytes:
        try:
            signer = signers.SimpleSigner.load_pkcs12_data(
                pkcs12, other_certs=[], passphrase=passphrase.encode("ascii", "replace"))
        except (ValueError, TypeError):
            raise WrongPassphrase() from None
        if signer is None:
            raise WrongPassphrase()
        chain = [asn1_x509.Certificate.load(der) for der in material.chain]
        context = ValidationContext(
            trust_roots=chain[-1:], other_certs=chain[:-1],
            crls=[asn1_crl.CertificateList.load(material.crl)], allow_fetching=False,
            revocation_mode="hard-fail", moment=now)
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
            fields.append_signature_field(writer, fields.SigFieldSpec(
                sig_field_name=FIELD, box=BOX, on_page=0))
            when = now.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB")
            style = stamp.TextStampStyle(
                stamp_text=f"Ditandatangani secara elektronik oleh\n{signer_name}\n{when}")
            pdf_signer = signers.PdfSigner(
                signers.PdfSignatureMetadata(
                    field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES,
                    embed_validation_info=True, validation_context=context,
                    reason="Tanda tangan elektronik BSrE", location="Indonesia"),
                signer=signer, stamp_style=style)
            return pdf_signer.sign_pdf(writer).getvalue()  # type: ignore[no-any-return]
        except (PdfError, KeyError, ValueError) as exc:
            log.info("pdf not signed: %s", type(exc).__name__)
            raise UnreadablePdf(type(exc).__name__) from exc


class PadesVerifier:
    """Public verification on pyHanko's validator, trusting only this CA's root; the CRL of
    the sidecar gives the revocation state now, the embedded data the state at signing."""

    def verify(self, pdf: bytes, material: SigningMaterial,
               revoked: Sequence[int]) -> list[SignatureReport]:
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            signatures = list(reader.embedded_signatures)
        except (PdfError, KeyError, ValueError) as exc:
            raise UnreadablePdf(type(exc).__name__) from exc
        chain = [asn1_x509.Certificate.load(der) for der in material.chain]
        reports = []
        for signature in signatures:
            context = ValidationContext(
                trust_roots=chain[-1:], other_certs=chain[:-1],
                crls=[asn1_crl.CertificateList.load(material.crl)], allow_fetching=False)
            try:
                status = validate_pdf_signature(signature, context)
            except Exception:
                log.info("signature not validated")
                continue
            certificate = signature.signer_cert
            coverage = status.coverage
            reports.append(SignatureReport(
                field=str(signature.field_name), signer=certificate.subject.human_friendly,
                serial_number=f"{certificate.serial_number:X}",
                issuer=certificate.issuer.human_friendly,
                signed_at=status.signer_reported_dt, intact=bool(status.intact),
                trusted=bool(status.trusted),
                revoked_now=certificate.serial_number in set(revoked),
                covers_whole_document=coverage is not None and coverage.name in (
                    "ENTIRE_FILE", "ENTIRE_REVISION"),
                modified_after=status.modification_level is not None
                and status.modification_level.name not in ("NONE", "LTA_UPDATES")))
        return reports
