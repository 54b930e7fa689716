"""X2 counting: fixed windows in the database, buckets that hold no address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.adapters.storage.models import RateLimitWindow
from gerbang_sidecar.services.rate_limits import RateLimiter


def test_x2_window_resets_and_buckets_hold_no_address(storage: Storage) -> None:
    now = [1_000_000.0]
    limiter = RateLimiter(storage, "key", clock=lambda: now[0])
    assert [limiter.hit("scope", "203.0.113.7", 2, 60).allowed for _ in range(3)] == [
        True, True, False]
    refused = limiter.hit("scope", "203.0.113.7", 2, 60)
    assert refused.retry_after == 60 - int(now[0]) % 60
    now[0] += 60
    assert limiter.hit("scope", "203.0.113.7", 2, 60).allowed
    with storage.session_factory() as session:
        buckets = session.scalars(select(RateLimitWindow.bucket)).all()
    assert buckets and not any("203.0.113.7" in b for b in buckets)


def test_x2_window_longer_than_a_day_is_refused(storage: Storage) -> None:
    with pytest.raises(ValueError):
        RateLimiter(storage, "key").hit("s", "c", 1, 2 * 24 * 3600)
