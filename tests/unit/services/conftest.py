"""Services run against a real SQLite database in a temporary directory, migrated to head."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from gerbang_sidecar.adapters.storage import Storage, StorageKeys
from gerbang_sidecar.migrations import upgrade
from support.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    keys = StorageKeys.from_settings(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
    store = Storage.create(f"sqlite:///{tmp_path / 'gerbang.sqlite3'}", keys)
    upgrade(store.engine)
    yield store
    store.dispose()
