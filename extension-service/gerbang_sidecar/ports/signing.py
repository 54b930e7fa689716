"""Signing a PDF with a subscriber's sealed key (X7), as the signing service asks. One
implementation: adapters/signing/pades.py (pyHanko). The key is opened with the passphrase
the holder types for this one signature and forgotten with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class SigningMaterial:
    """What a signature embeds for long-term validation: the chain (DER, issuing CA first,
    root last) and the current CRL (DER)."""

    chain: Sequence[bytes]
    crl: bytes


class UnreadablePdf(Exception):
    """The upload is not a PDF pyHanko can sign."""


class PdfSigner(Protocol):
    def sign(self, pdf: bytes, pkcs12: bytes, passphrase: str, material: SigningMaterial, *,
             signer_name: str, now: datetime) -> bytes:
        """A PAdES signature with the revocation data embedded and a visible box naming the
        signer and the time; WrongPassphrase (ports.ca) when the passphrase does not open
        the key, UnreadablePdf for a broken PDF."""
        ...


@dataclass(frozen=True)
class SignatureReport:
    """What public verification tells about one signature (issue 12 item 9)."""

    field: str
    signer: str  # the signer certificate's subject, as RFC 4514
    serial_number: str  # hex
    issuer: str
    signed_at: datetime | None
    intact: bool  # the signed bytes are unchanged
    trusted: bool  # the chain leads to this CA's root
    revoked_now: bool
    covers_whole_document: bool  # nothing but validation data was added after signing
    modified_after: bool  # content changed after signing


class PdfVerifier(Protocol):
    def verify(self, pdf: bytes, material: SigningMaterial,
               revoked: Sequence[int]) -> list[SignatureReport]:
        """Every signature of the PDF, checked against this CA (UnreadablePdf if not a PDF)."""
        ...
