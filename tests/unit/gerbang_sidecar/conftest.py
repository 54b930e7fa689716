"""The sidecar's unit tests: services over a real SQLite database of their own (``sqlite_url``
from the root conftest), with a clock the test moves."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from gerbang_sidecar.adapters.storage.crypto import StorageKeys
from gerbang_sidecar.adapters.storage.engine import Storage
from support.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def storage(sqlite_url: str) -> Iterator[Storage]:
    keys = StorageKeys.from_settings(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
    store = Storage.create(sqlite_url, keys)
    yield store
    store.dispose()


