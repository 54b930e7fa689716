"""Signing a PDF with a subscriber's sealed key (X7), as the signing service asks, and reading
back what a signed PDF proves (issue 12 item 9). One implementation: adapters/signing/pades.py
(pyHanko). The key is opened with the passphrase the holder types for this one signature and
forgotten with it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

# RFC 3161 as bytes: a TimeStampReq (DER) in, a TimeStampResp (DER) out. The CA's own TSA in
# this process today; an HTTP TSA would be a POST of the same bytes.
TimeStamping = Callable[[bytes], bytes]


@dataclass(frozen=True)
class SigningMaterial:
    """What a signature embeds for long-term validation: the chain (DER, issuing CA first,
    root last), the current CRL (DER), and the TSA that stamps the signature."""

    chain: Sequence[bytes]
    crl: bytes
    timestamps: TimeStamping


class UnreadablePdf(Exception):
    """The upload is not a PDF pyHanko can sign."""


class OverLimit(UnreadablePdf):
    """The PDF goes past one of the counts a verification follows (``limit``); ``reason``
    names it, as RefusedDocument's does (the message key ``document.<reason>``)."""

    reason: ClassVar[str]

    def __init__(self, limit: int) -> None:
        super().__init__(f"{self.reason}: more than {limit}")
        self.limit = limit

    def __reduce__(self) -> tuple[type[OverLimit], tuple[int]]:
        # Crosses from the verification's child process with its limit.
        return type(self), (self.limit,)


class TooManySignatures(OverLimit):
    """More signatures than a verification checks."""

    reason = "too_many_signatures"


class TooManyRevisions(OverLimit):
    """Saved over (incremental revisions) more often than a verification follows."""

    reason = "too_many_revisions"


class TooComplex(UnreadablePdf):
    """Checking the PDF took more CPU, memory or time than one verification is given."""


class VerifierBusy(Exception):
    """Every verification turn is taken: try again in a moment (not the file's fault)."""


class PdfSigner(Protocol):
    def sign(self, pdf: bytes, pkcs12: bytes, passphrase: str, material: SigningMaterial, *,
             signer_name: str, now: datetime) -> bytes:
        """A PAdES B-LT signature -- a signature timestamp, and the revocation data of the
        signer's and the TSA's certificates embedded -- with a visible box naming the signer
        and the time; WrongPassphrase (ports.ca) when the passphrase does not open the key,
        UnreadablePdf for a broken PDF."""
        ...


@dataclass(frozen=True)
class SignatureEvidence:
    """What one signature in a PDF proves by itself (issue 12 item 9); the verification
    service adds what the CA knows (revocations) and the time now."""

    field: str
    signer: str  # the signer certificate's subject, human-readable
    serial_number: int
    issuer: str
    certificate_not_before: datetime
    certificate_not_after: datetime
    claimed_at: datetime | None  # the signer's own claim of the signing time
    # A signature timestamp: present (True/False: valid from a TSA under this CA's root) or
    # absent (None); its time only when valid.
    timestamp_valid: bool | None
    timestamped_at: datetime | None
    timestamp_authority: str | None
    intact: bool  # the signed bytes are unchanged and the signature verifies
    trusted: bool  # the chain leads to this CA's root (at the proven signing time, if any)
    covers_whole_document: bool  # nothing but validation data was added after signing
    modified_after: bool  # content changed after signing
    # Only further signatures came after it (several officials sign one letter), each
    # intact and trusted -- not a change of its content.
    signed_over: bool = False


class PdfVerifier(Protocol):
    def verify(self, pdf: bytes, chain: Sequence[bytes], *,
               now: datetime) -> list[SignatureEvidence]:
        """Every signature of the PDF, checked against this CA's chain (DER, root last);
        UnreadablePdf if not a PDF. Revocation is not judged here."""
        ...
