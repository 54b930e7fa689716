"""Actions that may not be repeated yet (a resend after 15 minutes, C2 and A6; a daily cap):
one result type for every service, so every page answers them the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal


@dataclass(frozen=True)
class TooEarly:
    """Asked before its time: pages say when it becomes available; HTTP says Retry-After."""

    retry_after_seconds: int
    reason: Literal["resend_after", "daily_cap"] = "resend_after"


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds until ``moment``, rounded up and at least 1: any wait is a wait."""
    micro = (moment - now) // timedelta(microseconds=1)
    return max(1, -(-micro // 1_000_000))


def too_early(available_at: datetime, now: datetime,
              reason: Literal["resend_after", "daily_cap"] = "resend_after") -> TooEarly | None:
    return TooEarly(seconds_until(available_at, now), reason) if available_at > now else None
