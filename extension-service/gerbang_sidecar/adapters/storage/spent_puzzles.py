"""Captcha puzzles used once (O2, O3). Flushes, never commits (the transaction decides)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.models import SpentPuzzle


class SqlSpentPuzzles:
    def __init__(self, session: Session) -> None:
        self._session = session

    def spend(self, *, puzzle_id: str, expires_at: datetime) -> bool:
        """True the first time; False when the puzzle was used before (also by a concurrent
        request: the insert is one statement, the primary key decides)."""
        dialect = postgresql if self._session.get_bind().dialect.name == "postgresql" \
            else sqlite
        statement = dialect.insert(SpentPuzzle).values(
            puzzle_id=puzzle_id, expires_at=expires_at
        ).on_conflict_do_nothing(index_elements=["puzzle_id"]).returning(SpentPuzzle.puzzle_id)
        return self._session.execute(statement).scalar_one_or_none() is not None

    def purge(self, *, before: datetime) -> int:
        result = self._session.execute(
            delete(SpentPuzzle).where(SpentPuzzle.expires_at < before)
            .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)
