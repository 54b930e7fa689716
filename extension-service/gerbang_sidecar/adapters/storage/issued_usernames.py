"""Usernames the sidecar gives out (INSW, I4). Flushes, never commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.models import IssuedUsername


class SqlIssuedUsernames:
    def __init__(self, session: Session) -> None:
        self._session = session

    def issue(self, *, realm: str, registration_id: int, now: datetime,
              name_for: Callable[[int], str]) -> str:
        """The registration's username: its row's id is the sequence number ``name_for``
        turns into the name. Issuing again for one registration returns the same name.

        The insert comes first, so on SQLite the transaction takes the write lock at once
        and concurrent approvals queue instead of failing on a lock upgrade."""
        dialect = postgresql if self._session.get_bind().dialect.name == "postgresql" \
            else sqlite
        self._session.execute(dialect.insert(IssuedUsername).values(
            realm=realm, registration_id=registration_id, issued_at=now,
        ).on_conflict_do_nothing(index_elements=["registration_id"]))
        row = self._session.scalars(select(IssuedUsername).where(
            IssuedUsername.registration_id == registration_id)).one()
        if row.username:
            return row.username
        username = name_for(row.id)
        self._session.execute(update(IssuedUsername).where(IssuedUsername.id == row.id)
                              .values(username=username)
                              .execution_options(synchronize_session=False))
        return username
