"""ALTCHA proof of work (the PyPI ``altcha`` package, protocol v2): no third party, no
tracking, the puzzle signed with our key so the browser cannot change it.

The widget searches for a counter whose PBKDF2 key starts with ``key_prefix``; ``cost`` is the
PBKDF2 iteration count, so a solve takes about 16^len(prefix) / 2 derivations of ``cost``
iterations each. The difficulty is chosen in config (``CAPTCHA_COST``), measured by
``make bench`` (bench/captcha.py).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import altcha

from gerbang_sidecar.ports.captcha import SolvedPuzzle

ALGORITHM = "PBKDF2/SHA-256"


class AltchaProofOfWork:
    def __init__(self, key: bytes, *, cost: int, key_prefix: str = "00") -> None:
        self._key = key
        self._cost = cost
        self._key_prefix = key_prefix

    def puzzle(self, expires_at: datetime) -> dict[str, Any]:
        challenge = altcha.create_challenge(ALGORITHM, self._cost, key_prefix=self._key_prefix,
                                            expires_at=expires_at, hmac_secret=self._key)
        return challenge.to_dict()

    def check(self, solution: str, now: datetime) -> SolvedPuzzle | None:
        try:
            return self._checked(solution, now)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError):
            return None  # whatever a browser (or an attacker) put in the field

    def _checked(self, solution: str, now: datetime) -> SolvedPuzzle | None:
        payload = altcha.Payload.from_base64(solution)
        parameters = payload.challenge.parameters
        # The library checks expiry against the wall clock; ours is the service's clock.
        if parameters.expires_at is None or parameters.expires_at <= now.timestamp():
            return None
        if parameters.algorithm != ALGORITHM or parameters.cost != self._cost:
            return None
        result = altcha.verify_solution(payload, self._key)
        if not result.verified:
            return None
        puzzle_id = hashlib.sha256(f"{parameters.nonce}:{parameters.salt}".encode()).hexdigest()
        return SolvedPuzzle(puzzle_id,
                            datetime.fromtimestamp(parameters.expires_at, UTC))
