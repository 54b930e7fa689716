"""One-time code rules (A6, B2, C2, X2): policies, generation, hashing and throttling.

Pure functions: the caller passes the current time and the history it has stored, so tests
control time and no rule reads a clock. Codes are short, so they are stored only as an HMAC
under a server key (a 5-digit code hashed without a secret could be brute-forced from a
database dump in milliseconds) and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from gerbang_sidecar.domain.throttle import TooEarly, seconds_until, too_early


class Channel(StrEnum):
    EMAIL = "email"
    WHATSAPP = "whatsapp"


@dataclass(frozen=True)
class CodePolicy:
    """How codes of one purpose are made, delivered and limited."""

    name: str
    digits: int
    channel: Channel
    ttl: timedelta
    max_attempts: int
    # Minimum time between two codes for the same subject ("Kirim ulang").
    resend_after: timedelta
    # At most this many codes per subject within `cap_window` (rolling).
    daily_cap: int
    cap_window: timedelta = timedelta(hours=24)

    @property
    def outbox_kind(self) -> str:
        return f"one_time_code.{self.channel.value}"


MESSAGE_KEY_PREFIX = "one_time_code:"


def message_key(code_id: int) -> str:
    """The outbox idempotency key of the message carrying code ``code_id``."""
    return f"{MESSAGE_KEY_PREFIX}{code_id}"


# A6: legacy AKSes members prove their new email with a 5-digit code; "Kirim ulang OTP" only
# after 15 minutes (C2). 15 minutes between codes already bounds a day to 96; the cap of 10
# bounds online guessing to 50 tries per day per subject (5 attempts x 10 codes), i.e. a
# 0.05 % chance against a 5-digit code.
A6_EMAIL = CodePolicy(
    name="a6_email",
    digits=5,
    channel=Channel.EMAIL,
    ttl=timedelta(minutes=15),
    max_attempts=5,
    resend_after=timedelta(minutes=15),
    daily_cap=10,
)

# B2: BSrE activation proves the mobile number with a 6-digit WhatsApp code valid 15 minutes.
# The manual sets no resend delay. We allow a resend after 60 seconds (a WhatsApp message
# that does not arrive within a minute usually never does, and users should not wait 15
# minutes) and cap it at 5 codes per subject per day: every message costs money, and 5 codes
# x 5 attempts against 10^6 values keeps guessing at 0.0025 % per day.
B2_WHATSAPP = CodePolicy(
    name="b2_whatsapp",
    digits=6,
    channel=Channel.WHATSAPP,
    ttl=timedelta(minutes=15),
    max_attempts=5,
    resend_after=timedelta(seconds=60),
    daily_cap=5,
)

POLICIES: dict[str, CodePolicy] = {p.name: p for p in (A6_EMAIL, B2_WHATSAPP)}


def policy_named(name: str) -> CodePolicy:
    try:
        return POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown one-time code policy {name!r}") from None


def generate_code(policy: CodePolicy, randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """A uniformly random code of the policy's length, leading zeros kept."""
    return str(randbelow(10**policy.digits)).zfill(policy.digits)


def new_salt() -> bytes:
    return secrets.token_bytes(16)


def hash_code(key: bytes, salt: bytes, code: str) -> bytes:
    # The per-row salt keeps equal codes from producing equal hashes across rows.
    return hmac.new(key, salt + code.encode("ascii", "replace"), hashlib.sha256).digest()


def code_matches(key: bytes, salt: bytes, submitted: str, stored_hash: bytes) -> bool:
    """Constant-time comparison. Malformed input is simply a wrong code (it costs an attempt,
    so probing the format gains nothing)."""
    candidate = submitted.strip()
    return hmac.compare_digest(hash_code(key, salt, candidate), stored_hash)


def resend_wait(policy: CodePolicy, now: datetime,
                issued_at: Sequence[datetime]) -> TooEarly | None:
    """How long to wait before a new code may be sent, and why, or None if allowed.

    `issued_at` holds the send times of this subject's codes within at least the cap window.
    """
    waits: list[TooEarly] = []
    if issued_at and (wait := too_early(max(issued_at) + policy.resend_after, now)):
        waits.append(wait)
    window_start = now - policy.cap_window
    in_window = sorted(t for t in issued_at if t > window_start)
    if len(in_window) >= policy.daily_cap:
        # The oldest send that must leave the window before another one is allowed.
        frees_at = in_window[len(in_window) - policy.daily_cap] + policy.cap_window
        waits.append(TooEarly(seconds_until(frees_at, now), "daily_cap"))
    return max(waits, key=lambda w: w.retry_after_seconds) if waits else None
