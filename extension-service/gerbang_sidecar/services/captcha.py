"""The captcha of the OSS registration forms (O2, O3): a proof-of-work puzzle, solved once.

A solution is accepted when it solves a puzzle we issued, before the puzzle expires, and the
puzzle was never spent before -- spending is one insert whose primary key refuses a second
use, so a replayed or double-submitted solution fails even when both requests race.

A form that fails for another reason after its captcha passed needs a new puzzle: the widget
fetches one when the page comes back (the spent one would be refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any

from gerbang_sidecar.ports.captcha import ProofOfWork
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.storage import Store

PUZZLE_LIFETIME = timedelta(minutes=10)


class CaptchaVerdict(Enum):
    PASSED = "passed"
    MISSING = "missing"    # the widget was not solved (or the field removed)
    REFUSED = "refused"    # wrong, expired, tampered with, or used before


@dataclass
class Captcha:
    proof_of_work: ProofOfWork
    store: Store
    clock: Clock
    lifetime: timedelta = PUZZLE_LIFETIME

    def puzzle(self) -> dict[str, Any]:
        return self.proof_of_work.puzzle(self.clock() + self.lifetime)

    def check(self, solution: str | None) -> CaptchaVerdict:
        if not solution or not solution.strip():
            return CaptchaVerdict.MISSING
        solved = self.proof_of_work.check(solution.strip(), self.clock())
        if solved is None:
            return CaptchaVerdict.REFUSED
        with self.store.transaction() as tx:
            first = tx.spent_puzzles.spend(puzzle_id=solved.puzzle_id,
                                           expires_at=solved.expires_at)
        return CaptchaVerdict.PASSED if first else CaptchaVerdict.REFUSED

    def purge_spent(self) -> int:
        """Forget spent puzzles that have expired anyway (the housekeeping)."""
        with self.store.transaction() as tx:
            return tx.spent_puzzles.purge(before=self.clock())
