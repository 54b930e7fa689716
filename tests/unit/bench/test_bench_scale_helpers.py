"""Pure helpers of the scale benchmarks (issue 11 item 4): no server, no timing asserted."""

from __future__ import annotations

import argparse
import math

import pytest
from stdnum.id import nik as stdnum_nik

from bench.cluster import next_address
from bench.cluster_logins import MIN_ROUND, batch_size, merged, round_ratios, verdict
from bench.scale import ScalePerson, goal_verdict, import_batches, parse_users, scale_nik
from bench.stats import Summary
from gerbang_sidecar.domain.identifiers.nik import parse_nik
from gerbang_sidecar.domain.identifiers.sid import parse_sid


def test_scale_niks_are_valid_and_distinct_beyond_100k() -> None:
    niks = [scale_nik(i) for i in range(0, 120_000)]
    assert len(set(niks)) == len(niks)
    for i in (0, 1, 7, 8, 9_998, 9_999, 14_600 * 8, 99_999, 119_999):
        assert stdnum_nik.is_valid(niks[i]), niks[i]
        assert parse_nik(niks[i]).value == niks[i]
    with pytest.raises(ValueError):
        scale_nik(-1)


def test_scale_person_is_what_the_lookups_expect() -> None:
    investor, other = ScalePerson.of(42), ScalePerson.of(43)
    assert investor.sid is not None and parse_sid(investor.sid).value == investor.sid
    assert other.sid is None
    assert [kind for kind, _ in investor.identifiers()] == ["nik", "sid", "phone", "email"]
    assert [kind for kind, _ in other.identifiers()] == ["nik", "phone", "email"]
    user = investor.representation()
    assert user["attributes"]["nik"] == [investor.nik]
    assert user["attributes"]["phoneNumber"] == [investor.phone]
    assert user["firstName"].replace(" ", "").isalpha()
    assert investor.plan().proven == ("nik", "passport", "sid")


def test_import_batches_cover_the_range_once() -> None:
    batches = import_batches(1_000, 2_250, 500)
    assert [(b.start, b.stop) for b in batches] == [(1_000, 1_500), (1_500, 2_000),
                                                     (2_000, 2_250)]
    assert import_batches(5, 5) == []


def test_parse_users() -> None:
    assert parse_users("10000,100_000") == (10_000, 100_000)
    assert parse_users("10000") == (10_000,)
    for bad in ("", "100000,10000", "0", "10,10"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_users(bad)


def test_goal_verdict() -> None:
    assert goal_verdict([0.010, 0.014]) == "met"
    assert goal_verdict([0.010]) == "met"
    assert goal_verdict([0.010, 0.020]) == "not met: growth > 1.5×"
    assert goal_verdict([0.040, 0.080]) == "not met: p95 > 50 ms, growth > 1.5×"
    # 1 ms -> 2 ms is noise, not growth.
    assert goal_verdict([0.001, 0.002]) == "met"


def test_round_robin_address() -> None:
    public, nodes = "http://127.0.0.1:4567", ["http://127.0.0.1:4567", "http://127.0.0.1:5678"]
    url = "http://127.0.0.1:4567/realms/akses/protocol/openid-connect/auth?x=1"
    assert next_address(url, public, nodes, 0) == url
    assert next_address(url, public, nodes, 1) == (
        "http://127.0.0.1:5678/realms/akses/protocol/openid-connect/auth?x=1")
    assert next_address(url, public, nodes, 2) == url
    other = "http://127.0.0.1:45678/realms/akses"
    assert next_address(other, public, nodes, 1) == other


def test_cluster_login_helpers() -> None:
    assert batch_size(80, 1) == MIN_ROUND
    assert batch_size(80, 8) == 160  # ten logins of every client in each of its two batches
    assert batch_size(80, 32) == 640
    assert batch_size(1002, 1) == 502
    a = Summary(count=2, elapsed=1.0, latencies=(0.1, 0.2), failures=1)
    b = Summary(count=1, elapsed=0.5, latencies=(0.3,))
    both = merged([a, b])
    assert (both.count, both.failures, both.latencies) == (3, 1, (0.1, 0.2, 0.3))
    assert math.isclose(both.per_second, 2.0)
    rounds = round_ratios([Summary(count=10, elapsed=1.0, latencies=())] * 4,
                          [Summary(count=10, elapsed=1.0, latencies=())] * 2
                          + [Summary(count=5, elapsed=1.0, latencies=())] * 2)
    assert rounds == [1.0, 2.0]
    assert verdict([0.97, 1.02, 0.95]) == "met"
    assert verdict([0.97, 0.86, 0.93]) == "not met (worst 0.86×)"
