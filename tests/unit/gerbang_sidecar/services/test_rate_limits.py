"""X2 counting: fixed windows in the database, buckets that hold no address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.adapters.storage.models import RateLimitWindow
from gerbang_sidecar.services.rate_limits import RateLimiter, identifier_key


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


@pytest.mark.parametrize("spellings", [
    ["3273010101900001", "３２７３０１０１０１９００００１", "3273.0101.0190.0001",
     "3273-0101 0190 0001"],
    ["siti@example.com", "ｓｉｔｉ@ｅｘａｍｐｌｅ.ｃｏｍ", "SITI@Example.com"],
])
def test_x2_an_identifier_is_counted_once_however_it_is_spelled(spellings: list[str]) -> None:
    """The forms read full-width digits and letters as the plain ones (NFKC); a limit per
    identifier that counted each spelling apart let one NIK be tried three times over."""
    assert len({identifier_key(s) for s in spellings}) == 1


def test_x2_item9_seconds_are_counted_reserved_and_given_back_to_their_window(
        storage: Storage) -> None:
    now = [1_000_000.0]
    limiter = RateLimiter(storage, "key", clock=lambda: now[0])
    reserved = limiter.hit("work", "203.0.113.7", 30, 600, cost=10)
    assert reserved.allowed and reserved.hits == 10
    assert limiter.hit("work", "203.0.113.7", 30, 600, cost=15).hits == 25
    assert not limiter.hit("work", "203.0.113.7", 30, 600, cost=10).allowed
    now[0] += 600  # the reservation ends in the next window: it is given back to its own
    given = limiter.hit("work", "203.0.113.7", 30, 600, cost=-10,
                        window_start=reserved.window_start)
    assert given.hits == 25
    assert limiter.hit("work", "203.0.113.7", 30, 600, cost=10).hits == 10
