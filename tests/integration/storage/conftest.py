"""Storage tests run on SQLite and, when one can be started, on a throw-away PostgreSQL.

The PostgreSQL cluster is initdb'ed into a temporary directory owned by the `postgres` OS
user (the server refuses to run as root), listens on a free localhost port, and is stopped
and removed at the end of the session. Each test gets a fresh database in it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gerbang_sidecar.adapters.storage import Storage, StorageKeys
from gerbang_sidecar.migrations import upgrade
from support.clock import FakeClock

PG_BIN = Path(os.environ.get("GERBANG_PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return list(args)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL server binaries in {PG_BIN}")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start postgres as its own user")
    root = Path(tempfile.mkdtemp(prefix="gerbang-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        try:
            shutil.chown(root, "postgres")
            shutil.chown(sockets, "postgres")
        except (LookupError, PermissionError) as exc:
            shutil.rmtree(root, ignore_errors=True)
            pytest.skip(f"cannot hand a directory to the postgres user: {exc}")
    port = _free_port()
    user = "gerbang"
    started = False
    try:
        init = subprocess.run(
            _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", user,
                         "--auth=trust", "-E", "UTF8", "--no-sync"),
            capture_output=True, text=True, timeout=60, check=False,
        )
        if init.returncode != 0:
            pytest.skip(f"initdb failed: {init.stderr.strip()[-300:]}")
        options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        start = subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options,
                         "-l", str(root / "server.log"), "-w", "-t", "30", "start"),
            capture_output=True, text=True, timeout=60, check=False,
        )
        if start.returncode != 0:
            log = (root / "server.log").read_text(errors="replace")[-300:] \
                if (root / "server.log").exists() else start.stderr
            pytest.skip(f"postgres did not start: {log.strip()}")
        started = True
        yield PostgresServer(host="127.0.0.1", port=port, user=user)
    finally:
        if started:
            subprocess.run(
                _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                             "-w", "stop"),
                capture_output=True, timeout=60, check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_data_dir(postgres_server: PostgresServer) -> Path:
    import psycopg

    with psycopg.connect(host=postgres_server.host, port=postgres_server.port,
                         user=postgres_server.user, dbname="postgres") as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    return Path(row[0])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gerbang.sqlite3'}"
        return
    import psycopg

    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = {"host": server.host, "port": server.port, "user": server.user,
             "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield server.url(name)
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
