"""PostgreSQL clusters from Debian's ``postgresql`` package, on loopback.

``throwaway_postgres``: the storage tests run on it beside SQLite, ``make bench`` runs the
sidecar on it as production does, and the cluster tests run Keycloak's nodes on it. The
cluster is initdb'ed into a temporary directory owned by the ``postgres`` OS user (the server
refuses to run as root), listens on a free port with durability switched off (it is thrown
away), and is stopped and removed on exit. Its superuser has a password of its own
(SCRAM on every connection): a loopback port is open to every user of the machine.

``local_postgres``: the same, kept in a folder of the caller's choosing with durability on,
so ``make run PROFILE=production`` starts where it stopped.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from gerbang_ops.keycloak.server import free_port
from gerbang_ops.private_files import write_private

PG_BIN = Path(os.environ.get("GERBANG_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PostgresUnavailable(RuntimeError):
    """No cluster can be started here (binaries missing, no postgres user…)."""


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str

    def url(self, database: str) -> str:
        return (f"postgresql+psycopg://{self.user}:{quote(self.password, safe='')}"
                f"@{self.host}:{self.port}/{database}")

    def _admin(self) -> dict[str, object]:
        return {"host": self.host, "port": self.port, "user": self.user,
                "password": self.password, "dbname": "postgres", "autocommit": True}

    def create_database(self) -> str:
        """A new empty database; returns its name."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(**self._admin()) as conn:  # type: ignore[arg-type]
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def ensure_database(self, name: str) -> str:
        """The database ``name``, created when missing; returns its name."""
        import psycopg

        with psycopg.connect(**self._admin()) as conn:  # type: ignore[arg-type]
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (name,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(**self._admin()) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _password(root: Path) -> str:
    """The superuser's password, made with the cluster and kept beside it (this user's
    alone) so a kept cluster (``local_postgres``) opens again on its next start."""
    path = root / "superuser-password"
    if not path.exists():
        write_private(path, secrets.token_urlsafe(24))
    return path.read_text().strip()


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return list(args)


@contextmanager
def throwaway_postgres(user: str = "gerbang") -> Iterator[PostgresServer]:
    """Start a cluster; PostgresUnavailable (with the reason) when that cannot be done."""
    _check_available()
    root = Path(tempfile.mkdtemp(prefix="gerbang-pg-"))
    try:
        with _running(root, user, port=0, durable=False) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def local_postgres(root: Path, user: str = "gerbang", port: int = 0,
                   ) -> Iterator[PostgresServer]:
    """A cluster kept in ``root`` (initdb'ed on first use), started now on ``port`` (a free one
    when 0) and stopped cleanly on exit; its data stays for the next start."""
    _check_available()
    root.mkdir(parents=True, exist_ok=True)
    with _running(root, user, port=port, durable=True) as server:
        yield server


def _check_available() -> None:
    if not (PG_BIN / "initdb").exists():
        raise PostgresUnavailable(f"no PostgreSQL server binaries in {PG_BIN}")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root without runuser")


@contextmanager
def _running(root: Path, user: str, port: int, durable: bool) -> Iterator[PostgresServer]:
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir(exist_ok=True)
    started = False
    try:
        if os.geteuid() == 0:
            try:
                shutil.chown(root, "postgres")
                shutil.chown(sockets, "postgres")
            except (LookupError, PermissionError) as exc:
                raise PostgresUnavailable(f"cannot hand a directory to postgres: {exc}") from exc
            reachable = subprocess.run(_as_postgres("test", "-w", str(root)),
                                       capture_output=True, timeout=30, check=False)
            if reachable.returncode != 0:
                raise PostgresUnavailable(f"the postgres user cannot reach {root} (a folder "
                                          "above it is closed to other users)")
        password = _password(root)
        if not (data / "PG_VERSION").exists():
            pwfile = root / "initdb-password"
            write_private(pwfile, password + "\n")
            if os.geteuid() == 0:
                shutil.chown(pwfile, "postgres")
            try:
                init = subprocess.run(
                    _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", user,
                                 "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8",
                                 *([] if durable else ["--no-sync"])),
                    capture_output=True, text=True, timeout=120, check=False)
            finally:
                pwfile.unlink(missing_ok=True)
            if init.returncode != 0:
                raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()[-300:]}")
        port = port or free_port()
        options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200")
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        start = subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options,
                         "-l", str(root / "server.log"), "-w", "-t", "120", "start"),
            capture_output=True, text=True, timeout=180, check=False)
        if start.returncode != 0:
            log = root / "server.log"
            detail = log.read_text(errors="replace")[-300:] if log.exists() else start.stderr
            raise PostgresUnavailable(f"postgres did not start: {detail.strip()}")
        started = True
        yield PostgresServer(host="127.0.0.1", port=port, user=user, password=password)
    finally:
        if started:
            subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m",
                                        "fast" if durable else "immediate", "-w", "stop"),
                           capture_output=True, timeout=60, check=False)
