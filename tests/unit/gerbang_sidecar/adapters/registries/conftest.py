"""Adapters against ``responses``: no network, no sleeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import responses
from responses.registries import OrderedRegistry

from gerbang_sidecar.adapters.registries.transport import HttpPolicy, RegistryClient

BASE = "http://registry.test"  # repeated in the test modules, which cannot import this one


class MonotonicClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic_clock() -> MonotonicClock:
    return MonotonicClock()


@pytest.fixture
def policy() -> HttpPolicy:
    return HttpPolicy(connect_timeout=0.5, read_timeout=0.5, retries=0, backoff_factor=0,
                      breaker_failures=3, breaker_cooldown=30.0, cache_ttl=60.0)


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def ordered_rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(registry=OrderedRegistry) as mock:
        yield mock


ClientFactory = Callable[..., RegistryClient]


@pytest.fixture
def make_client(policy: HttpPolicy, monotonic_clock: MonotonicClock) -> ClientFactory:
    def make(registry: str, *, retry_posts: bool = True,
             policy_: HttpPolicy | None = None) -> RegistryClient:
        return RegistryClient.build(registry, f"{BASE}/{registry}", policy_ or policy,
                                    retry_posts=retry_posts, clock=monotonic_clock)

    return make
