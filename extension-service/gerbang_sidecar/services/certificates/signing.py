"""X7 "Tanda Tangan Dokumen": a user signs a PDF with an Issued eSign certificate and its
passphrase; the result is PAdES B-LT: a signature timestamp from the CA's time-stamping
authority and the revocation data embedded. Refused, with a clear
reason: a certificate not Issued (revoked, renewed, expired), an expired validity, a locked
certificate (five wrong passphrases), a disabled account (B11), a pending profile change
(B13), a PDF that is not a plain one. Every signature and every wrong passphrase goes to the
audit trail (X4); the passphrase and the document are never stored."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.ports.ca import CertificateAuthority, WrongPassphrase
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.documents import PdfInspector, RefusedDocument
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.metrics import NO_METRICS, Metrics
from gerbang_sidecar.ports.signing import OverLimit, PdfSigner, SigningMaterial, UnreadablePdf
from gerbang_sidecar.ports.storage import Store
from gerbang_sidecar.services.bsre.invitations import BsreSettings
from gerbang_sidecar.services.bsre.profile_changes import ProfileChanges
from gerbang_sidecar.services.certificates.issuance import CertificateIssuance
from gerbang_sidecar.services.certificates.passphrases import (
    MAX_WRONG,
    give_back_attempt,
    reserve_attempt,
)
from gerbang_sidecar.services.results import FormErrors

_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/]')
MAX_PDF_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Signed:
    pdf: bytes
    filename: str


@dataclass(frozen=True)
class Refused:
    reason: str  # not_issued, expired, locked, disabled, pending_change


class DocumentSigning:
    def __init__(self, store: Store, keycloak: KeycloakUsers, ca: CertificateAuthority,
                 signer: PdfSigner, pdf: PdfInspector, issuance: CertificateIssuance,
                 changes: ProfileChanges, clock: Clock, settings: BsreSettings, *,
                 metrics: Metrics = NO_METRICS) -> None:
        self._metrics = metrics
        self._store = store
        self._keycloak = keycloak
        self._ca = ca
        self._signer = signer
        self._pdf = pdf
        self._issuance = issuance
        self._changes = changes
        self._clock = clock
        self.settings = settings

    def sign(self, user_id: str, certificate_id: int, document: bytes, passphrase: str | None,
             filename: str = "dokumen.pdf") -> Signed | Refused | FormErrors | None:
        """None: not the user's certificate."""
        with self._store.transaction() as tx:
            row = tx.certificates.certificate(certificate_id)
            sealed = tx.certificates.pkcs12_of(certificate_id)
        if row is None or sealed is None or row.user_id != user_id:
            return None
        now = self._clock()
        refusal = self._refusal(row.status, row.not_after <= now, row.failed_passphrases,
                                user_id)
        if refusal is not None:
            return refusal
        errors: dict[str, IdentifierError] = {}
        if not passphrase:
            errors["passphrase"] = IdentifierError("passphrase.required")
        if not document:
            errors["document"] = IdentifierError("document.required")
        elif len(document) > MAX_PDF_BYTES:
            errors["document"] = IdentifierError("document.too_large",
                                                 max_mb=MAX_PDF_BYTES // 2**20)
        elif isinstance(verdict := self._pdf.inspect(document), RefusedDocument):
            errors["document"] = IdentifierError(f"document.{verdict.reason}")
        if errors:
            return FormErrors(errors)
        assert passphrase is not None
        realm = self.settings.realm
        material = SigningMaterial(self._ca.chain(), self._issuance.crl(), self.timestamp)
        wrong = reserve_attempt(self._store, certificate_id)
        if wrong is None:
            return Refused("locked")
        try:
            signed = self._signer.sign(document, sealed, passphrase, material,
                                       signer_name=row.common_name, now=now)
        except WrongPassphrase:
            with self._store.transaction() as tx:
                tx.audit.record(realm=realm, occurred_at=now, actor=user_id,
                                subject_id=user_id,
                                event_type="bsre.certificate.passphrase_wrong",
                                details={"serial_number": row.serial_number,
                                         "in_a_row": wrong, "while": "signing"})
            self._metrics.certificate_operation("passphrase_failed")
            if wrong >= MAX_WRONG:
                return Refused("locked")
            return FormErrors({"passphrase": IdentifierError(
                "passphrase.wrong", attempts_left=MAX_WRONG - wrong)})
        except OverLimit as full:
            give_back_attempt(self._store, certificate_id)
            return FormErrors({"document": IdentifierError(f"document.{full.reason}",
                                                           max=full.limit)})
        except UnreadablePdf:
            give_back_attempt(self._store, certificate_id)
            return FormErrors({"document": IdentifierError("document.not_pdf")})
        except BaseException:
            give_back_attempt(self._store, certificate_id)
            raise
        with self._store.transaction() as tx:
            tx.certificates.reset_wrong_passphrases(certificate_id)
            tx.audit.record(realm=realm, occurred_at=now, actor=user_id, subject_id=user_id,
                            event_type="bsre.certificate.signed",
                            details={"serial_number": row.serial_number,
                                     "document_bytes": len(document)})
        self._metrics.certificate_operation("signed")
        return Signed(signed, signed_filename(filename))

    def timestamp(self, request: bytes) -> bytes:
        """RFC 3161: the CA's TSA answers a TimeStampReq (DER) with a TimeStampResp (DER),
        stamped with the time of the request -- for our signatures and for ``/pki/tsa``."""
        return self._ca.timestamp(request, now=self._clock())

    def _refusal(self, status: str, expired: bool, wrong: int,
                 user_id: str) -> Refused | None:
        if status != "issued":
            return Refused("not_issued")
        if expired:
            return Refused("expired")
        if wrong >= MAX_WRONG:
            return Refused("locked")
        user = self._keycloak.get_user(self.settings.realm, user_id)
        if user is None or not user.enabled:
            return Refused("disabled")
        if self._changes.signing_blocked(user_id):
            return Refused("pending_change")
        return None


def signed_filename(uploaded: str) -> str:
    """``laporan.pdf`` -> ``laporan-ditandatangani.pdf``: the upload's name, at most 80
    characters of it, without what cannot sit in a header's quoted name (controls, quotes,
    backslashes, slashes). Other characters, Indonesian or not, stay; the download header
    spells them out (RFC 6266 ``filename*``)."""
    stem = uploaded.rsplit(".", 1)[0][:80]
    stem = _UNSAFE_IN_FILENAME.sub("_", stem).strip() or "dokumen"
    return f"{stem}-ditandatangani.pdf"
