"""Issue 12 item 9: anyone may check a signed PDF -- who signed, with which certificate and
chain, whether the certificate was valid and not revoked at signing and is not revoked now,
whether the document changed after signing. The upload is size-limited (the web layer also
rate-limits it) and never stored; nothing about it is logged but the outcome."""

from __future__ import annotations

from dataclasses import dataclass

from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.ports.ca import CertificateAuthority
from gerbang_sidecar.ports.signing import (
    PdfVerifier,
    SignatureReport,
    SigningMaterial,
    UnreadablePdf,
)
from gerbang_sidecar.ports.storage import Store
from gerbang_sidecar.services.certificates.issuance import CertificateIssuance
from gerbang_sidecar.services.results import FormErrors

MAX_PDF_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Report:
    signatures: list[SignatureReport]

    @property
    def all_valid(self) -> bool:
        return bool(self.signatures) and all(
            s.intact and s.trusted and not s.revoked_now and not s.modified_after
            for s in self.signatures)


class PublicVerification:
    def __init__(self, store: Store, ca: CertificateAuthority, verifier: PdfVerifier,
                 issuance: CertificateIssuance) -> None:
        self._store = store
        self._ca = ca
        self._verifier = verifier
        self._issuance = issuance

    def verify(self, pdf: bytes) -> Report | FormErrors:
        if not pdf:
            return FormErrors({"document": IdentifierError("document.required",
                                                           key="field.required")})
        if len(pdf) > MAX_PDF_BYTES:
            return FormErrors({"document": IdentifierError(
                "document.too_large", max_mb=MAX_PDF_BYTES // 2**20)})
        with self._store.transaction() as tx:
            revoked = [int(r.serial_number, 16) for r in tx.certificates.revoked()]
        try:
            signatures = self._verifier.verify(
                pdf, SigningMaterial(self._ca.chain(), self._issuance.crl()), revoked)
        except UnreadablePdf:
            return FormErrors({"document": IdentifierError("document.not_pdf")})
        return Report(signatures)
