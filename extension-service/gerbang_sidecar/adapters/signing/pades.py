"""PAdES signatures on pyHanko (X7): the subscriber's key opened from its PKCS#12 with the
passphrase typed for this signature, a CAdES-detached signature (subfilter
ETSI.CAdES.detached) in a visible box -- the signer's name and the time, in Western
Indonesian Time -- stamped by the CA's time-stamping authority (an RFC 3161 signature
timestamp), and the validation data (the chain, the TSA's certificate and the CRL this CA
publishes, which covers both the signer's and the TSA's certificate) added in a DSS: PAdES
B-LT, so the signature validates years later without asking the CA. Nothing is fetched over
the network: the sidecar hands over its own CRL and answers its own timestamp requests."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from asn1crypto import crl as asn1_crl
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from pyhanko import stamp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import NO_REVOCATION, CertRevTrustPolicy

from gerbang_sidecar.ports.ca import WrongPassphrase
from gerbang_sidecar.ports.signing import (
    SignatureEvidence,
    SigningMaterial,
    TimeStamping,
    TooComplex,
    TooManyRevisions,
    TooManySignatures,
    UnreadablePdf,
)

log = logging.getLogger(__name__)
FIELD = "TandaTanganBSrE"
BOX_WIDTH, BOX_HEIGHT, MARGIN = 260, 70, 40  # bottom-left of the first page, in points
# A document signed before (another official, an earlier BSrE signature) gets the next box:
# up the page, then a second column -- as many as the page holds (twenty on A4), then over
# the first ones again.
ROW_STEP, COLUMN_STEP = BOX_HEIGHT + 10, BOX_WIDTH + 15
A4 = (0.0, 0.0, 595.0, 842.0)
# What may follow a signature without changing the document it signed (pyHanko's levels).
_UNCHANGED = ("NONE", "LTA_UPDATES")
_PERMITTED = "FORM_FILLING"
WIB = ZoneInfo("Asia/Jakarta")
# A verification checks at most this many signatures. Each is validated over its byte range
# and against the later revisions, so the work grows with the square of their number: a
# 93 KB file of 1,000 copies of one signature held a worker for 10 s, 5,000 for 5 minutes.
# Documents of the portals carry a few; a notarial deed with witnesses, a dozen.
MAX_SIGNATURES = 20
# And at most this many revisions (each save or signature appends one): pyHanko's check for
# changes after signing walks every revision for every revision, so one signature behind
# 5,000 empty revisions -- a 0.5 MB upload -- held a worker for 275 s of CPU. A document with
# 20 signatures and their validation data has 41.
MAX_REVISIONS = 100
# And at most this many certificates carried by one signature or its timestamp: a lattice of
# CA certificates makes the path builder try every chain (2^D of them; the child process's
# CPU limit ends it, this refuses it at once). A BSrE signature carries three, its
# timestamp two.
MAX_CARRIED_CERTIFICATES = 10
# And at most this many objects written after the first signed revision: the diff analysis
# reviews each of them for every signature (20 signatures behind 59 revisions of 3,000
# objects took 34 s). Twenty BSrE signatures with their validation data write about 220.
MAX_LATER_OBJECTS = 2000


class _TimeStamper(TimeStamper):
    """pyHanko's RFC 3161 client over any ``TimeStamping``: it builds the request (with a
    nonce, certReq), checks the response's status and nonce, and collects the TSA's
    certificates so their revocation data lands in the DSS too."""

    def __init__(self, send: TimeStamping) -> None:
        super().__init__(include_nonce=True)
        self._send = send

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(self._send(req.dump()))


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
            _room_for_one_more(writer)
            name, box = _free_field(writer)
            fields.append_signature_field(writer, fields.SigFieldSpec(
                sig_field_name=name, box=box, on_page=0))
            when = now.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB")
            style = stamp.TextStampStyle(
                stamp_text=f"Ditandatangani secara elektronik oleh\n{signer_name}\n{when}")
            pdf_signer = signers.PdfSigner(
                signers.PdfSignatureMetadata(
                    field_name=name, subfilter=fields.SigSeedSubFilter.PADES,
                    embed_validation_info=True, validation_context=context,
                    reason="Tanda tangan elektronik BSrE", location="Indonesia"),
                signer=signer, stamp_style=style,
                timestamper=_TimeStamper(material.timestamps))
            return pdf_signer.sign_pdf(writer).getvalue()  # type: ignore[no-any-return]
        except (PdfError, KeyError, ValueError) as exc:
            log.info("pdf not signed: %s", type(exc).__name__)
            raise UnreadablePdf(type(exc).__name__) from exc


def _room_for_one_more(writer: IncrementalPdfFileWriter) -> None:
    """A signed document the public verification would refuse is not made: one more
    signature adds two revisions (the signature, then its validation data)."""
    if writer.prev.xrefs.total_revisions + 2 > MAX_REVISIONS:
        raise TooManyRevisions(MAX_REVISIONS)
    if len(writer.prev.embedded_signatures) + 1 > MAX_SIGNATURES:
        raise TooManySignatures(MAX_SIGNATURES)


def _free_field(writer: IncrementalPdfFileWriter) -> tuple[str, tuple[int, int, int, int]]:
    """A field name no field of the form has yet, and a box beside the earlier signatures'."""
    taken = _top_level_field_names(writer)
    signed = len(list(fields.enumerate_sig_fields(writer.prev)))
    name = next(_field_name(n) for n in range(len(taken) + 1) if _field_name(n) not in taken)
    left, bottom, right, top = _page_box(writer)
    rows = max(1, int((top - bottom - MARGIN) // ROW_STEP))
    columns = max(1, int((right - left - MARGIN) // COLUMN_STEP))
    column, row = divmod(signed % (rows * columns), rows)
    x0 = int(left) + MARGIN + column * COLUMN_STEP
    y0 = int(bottom) + MARGIN + row * ROW_STEP
    return name, (x0, y0, x0 + BOX_WIDTH, y0 + BOX_HEIGHT)


def _top_level_field_names(writer: IncrementalPdfFileWriter) -> set[str]:
    """Every form field's name at the top (a text field may hold the name we would take)."""
    try:
        form = writer.root["/AcroForm"]
        return {str(ref.get_object().get("/T")) for ref in form["/Fields"]}
    except (KeyError, TypeError, AttributeError):
        return set()


def _page_box(writer: IncrementalPdfFileWriter) -> tuple[float, float, float, float]:
    """The first page's visible area (CropBox, else MediaBox, inherited or not); A4 when the
    page tree does not say."""
    try:
        page = writer.find_page_for_modification(0)[0].get_object()
        while page is not None:
            for key in ("/CropBox", "/MediaBox"):
                if key in page:
                    x0, y0, x1, y1 = (float(v) for v in page[key])
                    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
            page = page.get("/Parent")
            page = page.get_object() if page is not None else None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        pass
    return A4


def _field_name(n: int) -> str:
    return FIELD if n == 0 else f"{FIELD}-{n + 1}"


class PadesVerifier:
    """Public verification on pyHanko's validator, trusting only this CA's root. The signer's
    chain is checked at the signature timestamp's time when the timestamp holds (a
    certificate expired since still validates), else now. Revocation is left to the caller,
    who has the CA's records with their times and reasons."""

    def verify(self, pdf: bytes, chain: Sequence[bytes], *,
               now: datetime) -> list[SignatureEvidence]:
        if _revisions_written(pdf) > MAX_REVISIONS:
            raise TooManyRevisions(MAX_REVISIONS)  # before parsing them costs anything
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            revisions = reader.xrefs.total_revisions
            signatures = list(reader.embedded_signatures)
        except Exception as exc:
            # A hostile file breaks the parser every way (arrays nested thousands deep:
            # RecursionError; a /Root that is no dictionary: AssertionError): each is an
            # unreadable upload, not our error.
            raise UnreadablePdf(type(exc).__name__) from exc
        if revisions > MAX_REVISIONS:
            raise TooManyRevisions(MAX_REVISIONS)
        if len(signatures) > MAX_SIGNATURES:
            raise TooManySignatures(MAX_SIGNATURES)
        try:
            carried = max((_carried_certificates(s) for s in signatures), default=0)
            later = _objects_after_signing(reader, signatures, revisions)
        except Exception as exc:  # a CMS or an xref that does not parse: unreadable
            raise UnreadablePdf(type(exc).__name__) from exc
        if carried > MAX_CARRIED_CERTIFICATES:
            raise TooComplex(f"more than {MAX_CARRIED_CERTIFICATES} certificates")
        if later > MAX_LATER_OBJECTS:
            raise TooComplex(f"more than {MAX_LATER_OBJECTS} objects after signing")
        certificates = [asn1_x509.Certificate.load(der) for der in chain]
        judged: list[tuple[SignatureEvidence, frozenset[str]]] = []
        for signature in signatures:
            try:
                judged.append(_evidence(signature, certificates, now))
            except Exception:
                log.info("signature not validated")
        # A field filled after a signature is a permitted addition only when it holds a
        # later signature that is intact and trusted here: a new "signature" field whose
        # box paints over the page, signed by nobody we know or not at all, is a change.
        sound = {e.field for e, _ in judged if e.intact and e.trusted}
        return [replace(e, modified_after=True, signed_over=False)
                if e.signed_over and not filled <= sound - {e.field} else e
                for e, filled in judged]


def _revisions_written(pdf: bytes) -> int:
    """Revisions as their keywords show in the bytes: an xref table (``xref``, and
    ``startxref`` after it) or an xref stream (``/XRef``) each. Names written with #-escapes
    hide from this count; the parser's count, checked next, does not."""
    tails = pdf.count(b"startxref")
    return max(tails, pdf.count(b"xref") - tails + pdf.count(b"/XRef"))


def _evidence(signature: EmbeddedPdfSignature, chain: list[asn1_x509.Certificate],
              now: datetime) -> tuple[SignatureEvidence, frozenset[str]]:
    """What the signature proves, and the form fields changed after it."""
    stamped = _stamped_at(signature)  # unverified: only chooses the moment to check at
    status = _validate(signature, chain, signer_moment=stamped or now, now=now)
    modification = status.modification_level
    diff = status.diff_result
    filled = frozenset(getattr(diff, "changed_form_fields", None) or ())
    token = status.timestamp_validity
    proven = token is not None and bool(token.intact and token.valid and token.trusted) \
        and token.timestamp == stamped
    if stamped is not None and not proven:
        # The chain again at "now"; the document's later revisions are what they were.
        status = _validate(signature, chain, signer_moment=now, now=now, skip_diff=True)
    certificate = signature.signer_cert
    coverage = status.coverage
    level = modification.name if modification is not None else None
    permitted = level == _PERMITTED and status.docmdp_ok is not False
    return SignatureEvidence(
        field=str(signature.field_name), signer=certificate.subject.human_friendly,
        serial_number=certificate.serial_number, issuer=certificate.issuer.human_friendly,
        certificate_not_before=certificate.not_valid_before,
        certificate_not_after=certificate.not_valid_after,
        claimed_at=status.signer_reported_dt,
        timestamp_valid=None if stamped is None else proven,
        timestamped_at=stamped if proven else None,
        timestamp_authority=token.signing_cert.subject.human_friendly
        if proven and token is not None else None,
        intact=bool(status.intact and status.valid), trusted=bool(status.trusted),
        covers_whole_document=coverage is not None and coverage.name in (
            "ENTIRE_FILE", "ENTIRE_REVISION"),
        modified_after=level is not None and level not in _UNCHANGED and not permitted,
        signed_over=permitted), filled


def _validate(signature: EmbeddedPdfSignature, chain: list[asn1_x509.Certificate], *,
              signer_moment: datetime, now: datetime,
              skip_diff: bool = False) -> PdfSignatureStatus:
    def context(moment: datetime) -> ValidationContext:
        # No revocation checking here: the caller judges it from the CA's own records.
        return ValidationContext(
            trust_roots=chain[-1:], other_certs=chain[:-1], allow_fetching=False,
            moment=moment, revinfo_policy=CertRevTrustPolicy(NO_REVOCATION))

    # The TSA's certificate must hold now; the signer's at the time the token proves.
    return validate_pdf_signature(signature, context(signer_moment),
                                  ts_validation_context=context(now), skip_diff=skip_diff)


def _objects_after_signing(reader: PdfFileReader, signatures: list[EmbeddedPdfSignature],
                           revisions: int) -> int:
    """Objects the revisions after the first signed one write."""
    if not signatures:
        return 0
    first = min(s.signed_revision for s in signatures)
    return sum(len(reader.xrefs.explicit_refs_in_revision(r))
               for r in range(first + 1, revisions))


def _carried_certificates(signature: EmbeddedPdfSignature) -> int:
    """The most certificates the signature's CMS or one of its timestamp tokens carries."""
    def count(signed_data: Any) -> int:
        certificates = signed_data["certificates"]
        return 0 if certificates.native is None else len(certificates)

    carried = [count(signature.signed_data)]
    info = signature.signer_info
    # Both timestamps pyHanko validates: the signature's (unsigned) and the content's
    # (signed attribute); each builds certificate paths of its own.
    for attribute in [*(info["unsigned_attrs"] or ()), *(info["signed_attrs"] or ())]:
        if attribute["type"].native in ("signature_time_stamp_token", "content_time_stamp"):
            carried += [count(token["content"]) for token in attribute["values"]]
    return max(carried)


def _stamped_at(signature: EmbeddedPdfSignature) -> datetime | None:
    """The time in the signature timestamp token, if the signature carries one."""
    unsigned = signature.signer_info["unsigned_attrs"]
    if not unsigned:
        return None
    for attribute in unsigned:
        if attribute["type"].native == "signature_time_stamp_token":
            content = attribute["values"][0]["content"]["encap_content_info"]["content"]
            moment: datetime = content.parsed["gen_time"].native
            return moment
    return None
