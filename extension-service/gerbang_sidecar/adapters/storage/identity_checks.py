"""Identity-check links (B9). Flushes, never commits; state changes are conditional UPDATEs,
so a double submit uses an attempt or the link exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.orm import Session, aliased

from gerbang_sidecar.adapters.storage.models import IdentityCheck


class SqlIdentityChecks:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, *, token_hash: bytes, realm: str, user_id: str, purpose: str, locale: str,
            now: datetime, expires_at: datetime) -> IdentityCheck:
        # The newest link is the one: an older one for the same purpose ends (as if used).
        self._session.execute(
            update(IdentityCheck)
            .where(IdentityCheck.realm == realm, IdentityCheck.user_id == user_id,
                   IdentityCheck.purpose == purpose, IdentityCheck.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False))
        row = IdentityCheck(token_hash=token_hash, realm=realm, user_id=user_id,
                            purpose=purpose, locale=locale, created_at=now,
                            expires_at=expires_at, attempts=0)
        self._session.add(row)
        self._session.flush()
        return row

    def usable(self, token_hash: bytes, *, now: datetime,
               max_attempts: int) -> IdentityCheck | None:
        return self._session.scalars(select(IdentityCheck).where(
            IdentityCheck.token_hash == token_hash, IdentityCheck.used_at.is_(None),
            IdentityCheck.expires_at > now, IdentityCheck.attempts < max_attempts,
            _newest())).one_or_none()

    def take_attempt(self, check_id: int, *, max_attempts: int) -> bool:
        result = self._session.execute(
            update(IdentityCheck)
            .where(IdentityCheck.id == check_id, IdentityCheck.used_at.is_(None),
                   IdentityCheck.attempts < max_attempts)
            .values(attempts=IdentityCheck.attempts + 1)
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def give_back_attempt(self, check_id: int) -> None:
        self._session.execute(
            update(IdentityCheck)
            .where(IdentityCheck.id == check_id, IdentityCheck.attempts > 0)
            .values(attempts=IdentityCheck.attempts - 1)
            .execution_options(synchronize_session=False))

    def give_back(self, check_id: int) -> None:
        self._session.execute(
            update(IdentityCheck).where(IdentityCheck.id == check_id)
            .values(used_at=None).execution_options(synchronize_session=False))

    def use(self, check_id: int, *, now: datetime) -> bool:
        result = self._session.execute(
            update(IdentityCheck)
            .where(IdentityCheck.id == check_id, IdentityCheck.used_at.is_(None), _newest())
            .values(used_at=now).execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))


def _newest() -> ColumnElement[bool]:
    """Only the newest link of a user and purpose is live (B9): a newer one ends it even
    when this one was given back after an outage, or in use while the newer one was added
    by another transaction (the newer row shows once committed)."""
    newer = aliased(IdentityCheck)
    return ~exists().where(newer.realm == IdentityCheck.realm,
                           newer.user_id == IdentityCheck.user_id,
                           newer.purpose == IdentityCheck.purpose,
                           newer.id > IdentityCheck.id)
