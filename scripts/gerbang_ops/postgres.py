"""A throw-away PostgreSQL cluster from Debian's ``postgresql`` package, on loopback.

The storage tests run on it beside SQLite, and ``make bench`` runs the sidecar on it as
production does. The cluster is initdb'ed into a temporary directory owned by the
``postgres`` OS user (the server refuses to run as root), listens on a free port with
durability switched off (it is thrown away), and is stopped and removed on exit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gerbang_ops.keycloak.server import free_port

PG_BIN = Path(os.environ.get("GERBANG_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PostgresUnavailable(RuntimeError):
    """No cluster can be started here (binaries missing, no postgres user…)."""


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def _admin(self) -> dict[str, object]:
        return {"host": self.host, "port": self.port, "user": self.user, "dbname": "postgres",
                "autocommit": True}

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(**self._admin()) as conn:  # type: ignore[arg-type]
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(**self._admin()) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return list(args)


@contextmanager
def throwaway_postgres(user: str = "gerbang") -> Iterator[PostgresServer]:
    """Start a cluster; PostgresUnavailable (with the reason) when that cannot be done."""
    if not (PG_BIN / "initdb").exists():
        raise PostgresUnavailable(f"no PostgreSQL server binaries in {PG_BIN}")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root without runuser")
    root = Path(tempfile.mkdtemp(prefix="gerbang-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    started = False
    try:
        if os.geteuid() == 0:
            try:
                shutil.chown(root, "postgres")
                shutil.chown(sockets, "postgres")
            except (LookupError, PermissionError) as exc:
                raise PostgresUnavailable(f"cannot hand a directory to postgres: {exc}") from exc
        init = subprocess.run(
            _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", user, "--auth=trust",
                         "-E", "UTF8", "--no-sync"),
            capture_output=True, text=True, timeout=120, check=False)
        if init.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
        port = free_port()
        options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        start = subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options,
                         "-l", str(root / "server.log"), "-w", "-t", "120", "start"),
            capture_output=True, text=True, timeout=180, check=False)
        if start.returncode != 0:
            log = root / "server.log"
            detail = log.read_text(errors="replace")[-300:] if log.exists() else start.stderr
            raise PostgresUnavailable(f"postgres did not start: {detail.strip()}")
        started = True
        yield PostgresServer(host="127.0.0.1", port=port, user=user)
    finally:
        if started:
            subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m",
                                        "immediate", "-w", "stop"),
                           capture_output=True, timeout=60, check=False)
        shutil.rmtree(root, ignore_errors=True)
