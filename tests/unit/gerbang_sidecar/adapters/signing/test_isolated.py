"""Issue 12 item 9, public verification: whatever the upload makes pyHanko do, one
verification gets a few seconds of one CPU and a bounded amount of memory (a 35 KB PDF
with a lattice of CA certificates ran for hours, a diamond of references took gigabytes)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from gerbang_sidecar.adapters.signing.isolated import IsolatedPdfVerifier
from gerbang_sidecar.adapters.signing.pades import PadesVerifier
from gerbang_sidecar.ports.signing import (
    TooComplex,
    TooManyRevisions,
    UnreadablePdf,
    VerifierBusy,
)
from support.hostile_verifiers import Hoarding, Refusing, Spinning

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def test_item9_a_verification_that_spins_is_stopped_by_its_cpu_limit() -> None:
    with pytest.raises(TooComplex) as stopped:
        IsolatedPdfVerifier(Spinning(), cpu_seconds=1).verify(b"%PDF", [], now=NOW)
    assert "wall-clock" not in str(stopped.value)  # the CPU limit ended it


def test_item9_a_verification_that_hoards_memory_is_stopped_by_its_memory_limit() -> None:
    with pytest.raises(TooComplex):
        IsolatedPdfVerifier(Hoarding(), memory_bytes=512 << 20).verify(b"%PDF", [], now=NOW)


def test_item9_refusals_keep_their_limit_and_a_non_pdf_stays_unreadable() -> None:
    with pytest.raises(TooManyRevisions) as refused:
        IsolatedPdfVerifier(Refusing()).verify(b"%PDF", [], now=NOW)
    assert refused.value.limit == 100
    with pytest.raises(UnreadablePdf) as unreadable:
        IsolatedPdfVerifier(PadesVerifier()).verify(b"not a pdf", [], now=NOW)
    assert type(unreadable.value) is UnreadablePdf


def test_item9_an_upload_behind_a_busy_turn_is_told_to_try_again_not_too_complex() -> None:
    """A review: uploads queued behind hostile ones held request threads for the whole wall
    clock and then read "too complex". One turn per process; a short wait; then busy."""
    import threading

    verifier = IsolatedPdfVerifier(Spinning(), cpu_seconds=2, turn_wait_seconds=0.2)

    def hostile_upload() -> None:
        with pytest.raises(TooComplex):
            verifier.verify(b"%PDF", [], now=NOW)

    spinning = threading.Thread(target=hostile_upload)
    spinning.start()
    try:
        while verifier._turns._value:  # the hostile upload holds the turn
            time.sleep(0.01)
        with pytest.raises(VerifierBusy):
            verifier.verify(b"%PDF", [], now=NOW)
    finally:
        spinning.join(30)
