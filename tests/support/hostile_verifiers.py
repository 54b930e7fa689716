"""PDF verifiers that behave as hostile uploads make pyHanko behave (importable by a child
process, so they cross to it by name)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gerbang_sidecar.ports.signing import SignatureEvidence, TooManyRevisions


class Spinning:
    """A certificate lattice: the path builder tries every chain, for ever."""

    def verify(self, pdf: bytes, chain: Sequence[bytes], *,
               now: datetime) -> list[SignatureEvidence]:
        while True:
            pass


class Hoarding:
    """A diamond of references: every route to every object, held in memory."""

    def verify(self, pdf: bytes, chain: Sequence[bytes], *,
               now: datetime) -> list[SignatureEvidence]:
        routes = []
        while True:
            routes.append(bytearray(64 << 20))


class Refusing:
    def verify(self, pdf: bytes, chain: Sequence[bytes], *,
               now: datetime) -> list[SignatureEvidence]:
        raise TooManyRevisions(100)
