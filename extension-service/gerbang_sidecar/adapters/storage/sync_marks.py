"""Sync marks: numbers every process reads alike -- how far an outside feed has been read,
how many revocations were recorded (the ``SyncMarks`` port)."""

from __future__ import annotations

import hashlib

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.models import SyncMark


class SqlSyncMarks:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, name: str) -> int | None:
        row = self._session.get(SyncMark, name)
        return None if row is None else row.value

    def advance(self, name: str, value: int) -> None:
        row = self._locked_or_added(name, value)
        if row is not None:
            # Two processes reading the same feed: the mark only moves forward.
            row.value = max(row.value, value)

    def hold(self, name: str) -> None:
        # Held marks are never read, only locked: their names hashed to fit the column
        # whatever ids they carry.
        self._locked_or_added("hold:" + hashlib.sha256(name.encode()).hexdigest()[:40], 0)

    def increment(self, name: str, by: int = 1) -> None:
        """Count ``by`` more in this transaction (the row is locked until it ends)."""
        moved = self._session.execute(
            update(SyncMark).where(SyncMark.name == name)
            .values(value=SyncMark.value + by).execution_options(synchronize_session=False))
        if not getattr(moved, "rowcount", 0):
            row = self._locked_or_added(name, by)
            if row is not None:  # another process added the row meanwhile: count on top
                row.value += by

    def _locked_or_added(self, name: str, value: int) -> SyncMark | None:
        """The mark's row, locked until the transaction ends; None when there was none and
        this call added it with ``value``."""
        row = self._session.get(SyncMark, name, with_for_update=True)
        if row is not None:
            return row
        try:
            # Another process may be adding the same mark; a savepoint keeps the
            # transaction usable and the loser moves the winner's row instead.
            with self._session.begin_nested():
                self._session.add(SyncMark(name=name, value=value))
            return None
        except IntegrityError:
            row = self._session.get(SyncMark, name, with_for_update=True,
                                    populate_existing=True)
            assert row is not None
            return row
