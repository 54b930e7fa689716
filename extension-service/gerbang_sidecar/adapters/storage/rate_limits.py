"""Rate-limit windows (X2), counted in the database so every worker and host shares them.

One upsert per counted request (``INSERT … ON CONFLICT DO UPDATE … RETURNING``) keeps it
atomic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.models import RateLimitWindow


class SqlRateLimits:
    def __init__(self, session: Session) -> None:
        self._session = session

    def hit(self, *, bucket: str, window_start: int, forget_before: int, by: int = 1) -> int:
        dialect = postgresql if self._session.get_bind().dialect.name == "postgresql" \
            else sqlite
        statement = dialect.insert(RateLimitWindow).values(
            bucket=bucket, window_start=window_start, hits=by
        ).on_conflict_do_update(
            index_elements=["bucket", "window_start"],
            set_={"hits": RateLimitWindow.hits + by},
        ).returning(RateLimitWindow.hits)
        hits = int(self._session.execute(statement).scalar_one())
        if hits == by > 0:  # a window just opened: a good moment to forget old ones
            self._session.execute(delete(RateLimitWindow).where(
                RateLimitWindow.window_start < forget_before))
        return hits
