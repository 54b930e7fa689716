"""Clocks a test moves by hand, for rules that count minutes or years (expiry, resend,
locks, a certificate's last 30 days)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class ShiftedClock:
    """The real time, plus an offset a test sets for a while: the session's sidecar runs on
    it, so a browser test can see the sidecar as it will be in two years (a certificate in
    its last 30 days) while Keycloak, the browser and the mail sink keep the real time."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    @contextmanager
    def shifted(self, **delta: float) -> Iterator[None]:
        step = timedelta(**delta)
        self.offset += step
        try:
            yield
        finally:
            self.offset -= step
