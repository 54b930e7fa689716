"""Engine, session factory and transactions of the sidecar's database (the ``Store`` port).

Built by the composition root from the database URL and keys, never at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from gerbang_sidecar.adapters.storage.crypto import SESSION_KEYS, StorageKeys
from gerbang_sidecar.adapters.storage.models import AuditEvent
from gerbang_sidecar.adapters.storage.transaction import SqlTransaction
from gerbang_sidecar.adapters.storage.types import attach_key_ring
from gerbang_sidecar.ports.storage import StorageError


class AppendOnlyViolation(RuntimeError):
    """Something tried to change or remove an audit event (X4)."""


def make_engine(database_url: str, keys: StorageKeys, **engine_options: Any) -> Engine:
    # A failed statement's text names its parameters; tracebacks of wrapped errors reach the
    # logs, and the redaction does not know every value (X3): keep them out of the message.
    options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True,
                               **engine_options}
    if database_url.startswith("sqlite"):
        # One file, one writer: SQLite keeps its default pool (an in-memory database's
        # refuses max_overflow); the sizes are PostgreSQL's.
        for postgres_only in ("pool_pre_ping", "pool_size", "max_overflow"):
            options.pop(postgres_only, None)
        # Flask serves requests from several threads; each gets its pooled connection.
        options.setdefault("connect_args", {"check_same_thread": False, "timeout": 15})
    engine = create_engine(database_url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    attach_key_ring(engine, keys.pii)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 module starts transactions lazily and not before a SAVEPOINT, so a
    # released savepoint would commit for real. Take transaction control away from it and
    # emit BEGIN ourselves (SQLAlchemy's documented recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        # WAL lets readers proceed while the outbox worker writes (ignored for :memory:).
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE: take the write lock at the start. A deferred transaction that reads, then
    # writes after another connection committed, fails at once with SQLITE_BUSY (its WAL
    # snapshot is stale; the busy timeout cannot help): a step that reads its row, then
    # stores a document, failed so under load while the outbox thread wrote. Serialising
    # every transaction is fine for the local and test database; PostgreSQL serves
    # production.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _refuse_audit_changes(session: Session, _flush_context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation("audit events are append-only")


def _refuse_audit_bulk_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        m.class_ is AuditEvent for m in state.all_mappers
    ):
        raise AppendOnlyViolation("audit events are append-only")


@dataclass
class Storage:
    """The database handle of one application: engine, session factory and keys."""

    engine: Engine
    session_factory: sessionmaker[Session]
    keys: StorageKeys

    @classmethod
    def create(cls, database_url: str, keys: StorageKeys, **engine_options: Any) -> Storage:
        engine = make_engine(database_url, keys, **engine_options)
        # expire_on_commit=False: services return loaded rows after their transaction ends.
        factory = sessionmaker(engine, expire_on_commit=False, info={SESSION_KEYS: keys})
        event.listen(factory, "before_flush", _refuse_audit_changes)
        event.listen(factory, "do_orm_execute", _refuse_audit_bulk_changes)
        return cls(engine=engine, session_factory=factory, keys=keys)

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        """One transaction's repositories: committed on success, rolled back on error; any
        database failure comes out as StorageError."""
        try:
            with self.session_factory() as session, session.begin():
                yield SqlTransaction(session)
        except SQLAlchemyError as exc:
            raise StorageError(type(exc).__name__) from exc

    def ping(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar() == 1

    def dispose(self) -> None:
        self.engine.dispose()
