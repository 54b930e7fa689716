"""Portal logins (X9). Flushes, never commits (the transaction decides)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.models import PortalSession


class SqlPortalSessions:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, *, key_hash: bytes, realm: str, client_id: str, subject: str,
            keycloak_session: str | None, data: dict[str, Any], now: datetime,
            expires_at: datetime) -> None:
        self._session.add(PortalSession(
            key_hash=key_hash, realm=realm, client_id=client_id, subject=subject,
            keycloak_session=keycloak_session, data=data, created_at=now,
            expires_at=expires_at, checked_at=now))
        self._session.flush()

    def by_key_hash(self, key_hash: bytes) -> PortalSession | None:
        return self._session.scalars(
            select(PortalSession).where(PortalSession.key_hash == key_hash)).one_or_none()

    def of_subject(self, *, realm: str, subject: str) -> list[PortalSession]:
        return list(self._session.scalars(select(PortalSession).where(
            PortalSession.realm == realm, PortalSession.subject == subject)))

    def set_data(self, session_id: int, data: dict[str, Any]) -> None:
        self._session.execute(
            update(PortalSession).where(PortalSession.id == session_id)
            .values(data=data).execution_options(synchronize_session=False))

    def mark_checked(self, session_id: int, *, now: datetime) -> None:
        self._session.execute(
            update(PortalSession).where(PortalSession.id == session_id)
            .values(checked_at=now).execution_options(synchronize_session=False))

    def end(self, session_id: int) -> None:
        self._session.execute(
            delete(PortalSession).where(PortalSession.id == session_id)
            .execution_options(synchronize_session=False))

    def end_all(self, *, realm: str, subject: str) -> int:
        result = self._session.execute(
            delete(PortalSession)
            .where(PortalSession.realm == realm, PortalSession.subject == subject)
            .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0))

    def purge_expired(self, *, now: datetime) -> int:
        result = self._session.execute(
            delete(PortalSession).where(PortalSession.expires_at <= now)
            .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0))
