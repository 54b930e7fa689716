"""Issue 12 item 9: anyone may check a signed PDF -- who signed, with which certificate and
chain, whether the certificate was valid and not revoked at signing time (the signature
timestamp's time when there is one) and whether it is now, whether the document changed
after signing (the signer's NIK masked). The CA's own records give revocation times and
reasons. The upload is size-limited (the web layer also rate-limits it) and never stored;
nothing about it is logged but the outcome."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from gerbang_sidecar.domain.certificates.profiles import with_nik_masked
from gerbang_sidecar.domain.certificates.signature_validity import (
    CertificateState,
    RevocationRecord,
    signature_valid,
    state_at,
)
from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.ports.ca import CertificateAuthority
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.signing import (
    OverLimit,
    PdfVerifier,
    SignatureEvidence,
    TooComplex,
    UnreadablePdf,
    VerifierBusy,
)
from gerbang_sidecar.ports.storage import CertificateStatus, Store
from gerbang_sidecar.services.certificates.signing import MAX_PDF_BYTES
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem


@dataclass(frozen=True)
class SignatureReport:
    evidence: SignatureEvidence
    at_signing: CertificateState  # at the timestamp's time, else at the claimed time
    now: CertificateState

    @property
    def time_proven(self) -> bool:
        return self.evidence.timestamped_at is not None

    @property
    def signing_time(self) -> datetime | None:
        return self.at_signing.moment

    @property
    def valid(self) -> bool:
        e = self.evidence
        return signature_valid(intact=e.intact, trusted=e.trusted,
                               modified_after=e.modified_after, time_proven=self.time_proven,
                               at_signing=self.at_signing, now=self.now)


@dataclass(frozen=True)
class Report:
    signatures: list[SignatureReport]

    @property
    def all_valid(self) -> bool:
        return bool(self.signatures) and all(s.valid for s in self.signatures)

    @property
    def changed_since(self) -> bool:
        """Some signer's certificate was good at signing and is revoked or expired now."""
        return any(s.at_signing.valid and not s.now.valid for s in self.signatures)


class PublicVerification:
    def __init__(self, store: Store, ca: CertificateAuthority, verifier: PdfVerifier,
                 clock: Clock) -> None:
        self._store = store
        self._ca = ca
        self._verifier = verifier
        self._clock = clock

    def verify(self, pdf: bytes) -> Report | FormErrors | TemporaryProblem:
        if not pdf:
            return FormErrors({"document": IdentifierError("document.required")})
        if len(pdf) > MAX_PDF_BYTES:
            return FormErrors({"document": IdentifierError(
                "document.too_large", max_mb=MAX_PDF_BYTES // 2**20)})
        now = self._clock()
        try:
            found = self._verifier.verify(pdf, self._ca.chain(), now=now)
        except OverLimit as refused:
            return FormErrors({"document": IdentifierError(f"document.{refused.reason}",
                                                           max=refused.limit)})
        except TooComplex:
            return FormErrors({"document": IdentifierError("document.too_complex")})
        except VerifierBusy:
            return TemporaryProblem()
        except UnreadablePdf:
            return FormErrors({"document": IdentifierError("document.not_pdf")})
        # The few signers' statuses by serial (indexed), not every revocation ever made.
        with self._store.transaction() as tx:
            statuses = [tx.certificates.status_by_serial(f"{e.serial_number:X}")
                        for e in found]
        return Report([self._report(e, _revocation(status, now), now)
                       for e, status in zip(found, statuses, strict=True)])

    @staticmethod
    def _report(evidence: SignatureEvidence, revocation: RevocationRecord | None,
                now: datetime) -> SignatureReport:
        signed = evidence.timestamped_at or evidence.claimed_at
        period = evidence.certificate_not_before, evidence.certificate_not_after
        shown = replace(evidence, signer=with_nik_masked(evidence.signer),
                        issuer=with_nik_masked(evidence.issuer),
                        timestamp_authority=evidence.timestamp_authority and with_nik_masked(
                            evidence.timestamp_authority))
        return SignatureReport(shown, state_at(signed, *period, revocation),
                               state_at(now, *period, revocation))


def _revocation(status: CertificateStatus | None, now: datetime) -> RevocationRecord | None:
    if status is None or status.status != "revoked":
        return None
    return RevocationRecord(status.revoked_at or now, status.revocation_reason or "unspecified")
