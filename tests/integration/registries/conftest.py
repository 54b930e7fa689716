"""The fake registry server on a free loopback port, and adapters pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gerbang_sidecar.adapters.registries import build_http_registries
from gerbang_sidecar.adapters.registries.fakes import build_fake_registries
from gerbang_sidecar.adapters.registries.transport import HttpPolicy
from gerbang_sidecar.fake_registry import create_fake_registry_app, running_fake_registry
from gerbang_sidecar.ports.registries import Registries

# The hang outlasts the adapters' read timeout several times over, yet keeps tests fast.
HANG_SECONDS = 1.5
FAST = HttpPolicy(connect_timeout=0.5, read_timeout=0.3, retries=1, backoff_factor=0)


@pytest.fixture(scope="session")
def registry_server_url() -> Iterator[str]:
    """The fake registries, with a hang short enough for these contract tests."""
    with running_fake_registry(create_fake_registry_app(hang_seconds=HANG_SECONDS)) as url:
        yield url


def registry_urls(base: str) -> dict[str, str]:
    return {"dukcapil": f"{base}/dukcapil", "oss": f"{base}/oss", "ksei": f"{base}/ksei",
            "bkn": f"{base}/bkn", "sipp": f"{base}/sipp", "message_gateway": f"{base}/gateway"}


@pytest.fixture
def http_registries(registry_server_url: str) -> Registries:
    """Fresh adapters per test, so one test's breaker or cache can't leak into another."""
    return build_http_registries(registry_urls(registry_server_url), FAST)


@pytest.fixture(params=["http", "memory"])
def registries(request: pytest.FixtureRequest, registry_server_url: str) -> object:
    """The same contract holds over real HTTP and for the in-memory twins."""
    if request.param == "http":
        return build_http_registries(registry_urls(registry_server_url), FAST)
    return build_fake_registries()
