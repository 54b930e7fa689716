"""The proof-of-work puzzle behind the OSS captcha (O2, O3), as services ask it.

A puzzle is the JSON the browser's widget solves; a solution comes back as the opaque string
the widget put in the form. Implementation: adapters/captcha (ALTCHA). Whether a solution was
already used is not the puzzle's business but the service's (services/captcha.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class SolvedPuzzle:
    """A correct solution of a puzzle we issued: ``puzzle_id`` names the puzzle (the same for
    every solution of it), ``expires_at`` is when it stops being accepted."""

    puzzle_id: str
    expires_at: datetime


class ProofOfWork(Protocol):
    def puzzle(self, expires_at: datetime) -> dict[str, Any]:
        """A new signed puzzle that stops being accepted at ``expires_at``."""
        ...

    def check(self, solution: str, now: datetime) -> SolvedPuzzle | None:
        """The solved puzzle, or None when the solution is malformed, wrong, tampered with,
        not ours or expired."""
        ...
