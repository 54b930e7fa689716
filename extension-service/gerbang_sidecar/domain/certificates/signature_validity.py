"""Issue 12 item 9, X6: was a signer's certificate valid when the document was signed, and is
it now? Pure: the moments, the validity period and the CA's revocation record are passed in.

The signing time is the signature timestamp's when there is a valid one -- proven by the
CA's TSA -- and otherwise only the signer's claim. A signature is valid when its certificate
was valid and not revoked at the proven signing time, even if it has been revoked or has
expired since (ETSI EN 319 102-1: the revocation came after the proof of existence). Without
a timestamp the claimed time proves nothing, so the certificate must also be valid now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Problem(StrEnum):
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN_TIME = "unknown_time"  # no signing time at all: nothing can be said


@dataclass(frozen=True)
class RevocationRecord:
    revoked_at: datetime
    reason: str  # an RFC 5280 reason name, as the CA recorded it


@dataclass(frozen=True)
class CertificateState:
    moment: datetime | None
    problem: Problem | None
    since: datetime | None = None  # when the problem began: revocation, expiry or start
    reason: str | None = None  # the revocation reason

    @property
    def valid(self) -> bool:
        return self.problem is None


def state_at(moment: datetime | None, not_before: datetime, not_after: datetime,
             revocation: RevocationRecord | None) -> CertificateState:
    """The certificate at ``moment``. Revocation wins over expiry: it says more."""
    if moment is None:
        return CertificateState(None, Problem.UNKNOWN_TIME)
    if revocation is not None and revocation.revoked_at <= moment:
        return CertificateState(moment, Problem.REVOKED, revocation.revoked_at,
                                revocation.reason)
    if moment < not_before:
        return CertificateState(moment, Problem.NOT_YET_VALID, not_before)
    if moment > not_after:
        return CertificateState(moment, Problem.EXPIRED, not_after)
    return CertificateState(moment, None)


def signature_valid(*, intact: bool, trusted: bool, modified_after: bool,
                    time_proven: bool, at_signing: CertificateState,
                    now: CertificateState) -> bool:
    if not (intact and trusted and not modified_after and at_signing.valid):
        return False
    return time_proven or now.valid
