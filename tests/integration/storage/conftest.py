"""Storage tests run on SQLite and, when one can be started, on a throw-away PostgreSQL
(gerbang_ops.postgres), a fresh database per test.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from gerbang_ops.postgres import PostgresServer, PostgresUnavailable, throwaway_postgres
from gerbang_sidecar.adapters.storage.crypto import StorageKeys
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.migrations import upgrade
from support.clock import FakeClock


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        with throwaway_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def postgres_data_dir(postgres_server: PostgresServer) -> Path:
    import psycopg

    with psycopg.connect(host=postgres_server.host, port=postgres_server.port,
                         user=postgres_server.user, password=postgres_server.password,
                         dbname="postgres") as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    return Path(row[0])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gerbang.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


def random_secret() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture
def keys() -> StorageKeys:
    return StorageKeys.from_settings(random_secret(), random_secret())


@pytest.fixture
def storage(database_url: str, keys: StorageKeys) -> Iterator[Storage]:
    store = Storage.create(database_url, keys)
    upgrade(store.engine)
    yield store
    store.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
