"""The revocation mark (``REVOCATION_MARK``: how many revocations were ever recorded, one row)
read outside a transaction, for the OCSP responder, which reads it on every request
(services/certificates/ocsp.py).

One statement on a pooled DBAPI connection, no ORM session and no explicit transaction: a
single SELECT sees a consistent snapshot by itself. Through ``Storage.transaction`` the same
read cost four times as much, and on SQLite every transaction here begins IMMEDIATE (the
write lock, adapters/storage/engine.py), so 32 concurrent OCSP requests queued behind each
other for a read. SQLite connections are in autocommit mode (engine.py's pragmas), so the
SELECT takes no lock a writer waits for (WAL); on PostgreSQL it opens an implicit
transaction that the pool rolls back when the connection goes back.
"""

from __future__ import annotations

from collections.abc import Hashable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from gerbang_sidecar.adapters.storage.certificates import REVOCATION_MARK
from gerbang_sidecar.ports.storage import StorageError


class RevocationMarkReader:
    """Call it for the mark: an opaque value that changes with every revocation, whichever
    process recorded it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # Compiled once; the one parameter (the mark's name) is a constant of ours, never
        # input.
        self._sql = str(REVOCATION_MARK.compile(dialect=engine.dialect,
                                                compile_kwargs={"literal_binds": True}))
        self._driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error

    def __call__(self) -> Hashable:
        try:
            connection = self._engine.raw_connection()
        except SQLAlchemyError as exc:
            raise StorageError(type(exc).__name__) from exc
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self._sql)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except self._driver_error as exc:
            raise StorageError(type(exc).__name__) from exc
        finally:
            connection.close()  # back to the pool
        return None if row is None else tuple(row)
