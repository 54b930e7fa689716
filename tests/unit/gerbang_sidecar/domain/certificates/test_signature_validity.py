"""Issue 12 item 9, X6: the certificate's state at signing time and now, and when a signature
counts as valid -- revoked after a proven signing time: valid then, revoked now; revoked
before: invalid; without a timestamp the claim proves nothing, so now must hold too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gerbang_sidecar.domain.certificates.signature_validity import (
    CertificateState,
    Problem,
    RevocationRecord,
    signature_valid,
    state_at,
)

ISSUED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
EXPIRES = ISSUED + timedelta(days=730)
SIGNED = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
REVOKED = RevocationRecord(datetime(2026, 9, 1, 8, 0, tzinfo=UTC), "key_compromise")


def _valid(at_signing: CertificateState, now: CertificateState, *, proven: bool) -> bool:
    return signature_valid(intact=True, trusted=True, modified_after=False,
                           time_proven=proven, at_signing=at_signing, now=now)


def test_x6_revoked_after_signing_is_valid_then_and_revoked_now() -> None:
    then = state_at(SIGNED, ISSUED, EXPIRES, REVOKED)
    now = state_at(datetime(2026, 10, 1, tzinfo=UTC), ISSUED, EXPIRES, REVOKED)
    assert then.valid and then.moment == SIGNED
    assert (now.problem, now.since, now.reason) == (Problem.REVOKED, REVOKED.revoked_at,
                                                   "key_compromise")
    assert _valid(then, now, proven=True)  # the timestamp predates the revocation
    assert not _valid(then, now, proven=False)  # a mere claim could be backdated


def test_x6_revoked_before_signing_is_invalid() -> None:
    signed_later = REVOKED.revoked_at + timedelta(seconds=1)
    then = state_at(signed_later, ISSUED, EXPIRES, REVOKED)
    assert then.problem == Problem.REVOKED and not then.valid
    assert not _valid(then, state_at(signed_later, ISSUED, EXPIRES, REVOKED), proven=True)
    # The very moment of revocation already counts as revoked (RFC 5280 revocationDate).
    assert state_at(REVOKED.revoked_at, ISSUED, EXPIRES, REVOKED).problem == Problem.REVOKED


def test_x7_expired_since_signing_stays_valid_with_a_timestamp() -> None:
    then = state_at(SIGNED, ISSUED, EXPIRES, None)
    now = state_at(EXPIRES + timedelta(days=1), ISSUED, EXPIRES, None)
    assert (now.problem, now.since) == (Problem.EXPIRED, EXPIRES)
    assert _valid(then, now, proven=True) and not _valid(then, now, proven=False)


def test_x7_outside_the_validity_or_without_a_time_is_not_valid() -> None:
    early = state_at(ISSUED - timedelta(days=1), ISSUED, EXPIRES, None)
    assert (early.problem, early.since) == (Problem.NOT_YET_VALID, ISSUED)
    unknown = state_at(None, ISSUED, EXPIRES, None)
    assert unknown.problem == Problem.UNKNOWN_TIME and not unknown.valid
    good = state_at(SIGNED, ISSUED, EXPIRES, None)
    assert not signature_valid(intact=False, trusted=True, modified_after=False,
                               time_proven=True, at_signing=good, now=good)
    assert not signature_valid(intact=True, trusted=False, modified_after=False,
                               time_proven=True, at_signing=good, now=good)
    assert not signature_valid(intact=True, trusted=True, modified_after=True,
                               time_proven=True, at_signing=good, now=good)
