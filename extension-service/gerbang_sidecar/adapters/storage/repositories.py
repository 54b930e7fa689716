"""Small repositories over one session. They flush but never commit: the caller's
transaction decides, so a business change and its outbox message commit together."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.engine import keys_of
from gerbang_sidecar.adapters.storage.models import (
    IDENTIFIER_KINDS,
    AuditEvent,
    IdentityRecord,
    OneTimeCode,
    OutboxMessage,
)


class DuplicateIdentifier(Exception):
    """The realm already has this identifier (same kind and value)."""


class IdentityRecords:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._index = keys_of(session).blind_index

    def add(self, *, realm: str, kind: str, value: str, created_at: datetime,
            subject_id: str | None = None) -> IdentityRecord:
        if kind not in IDENTIFIER_KINDS:
            raise ValueError(f"unknown identifier kind {kind!r}")
        record = IdentityRecord(
            realm=realm, kind=kind, value=value, subject_id=subject_id, created_at=created_at,
            blind_index=self._index.compute(kind, value),
        )
        # A savepoint keeps the caller's transaction usable after a duplicate.
        try:
            with self._session.begin_nested():
                self._session.add(record)
        except IntegrityError:
            raise DuplicateIdentifier(kind) from None
        return record

    def find(self, *, realm: str, kind: str, value: str) -> IdentityRecord | None:
        return self._session.scalars(
            select(IdentityRecord).where(
                IdentityRecord.realm == realm,
                IdentityRecord.kind == kind,
                IdentityRecord.blind_index == self._index.compute(kind, value),
            )
        ).one_or_none()

    def exists(self, *, realm: str, kind: str, value: str) -> bool:
        return self.find(realm=realm, kind=kind, value=value) is not None

    def of_subject(self, *, realm: str, subject_id: str) -> Sequence[IdentityRecord]:
        return self._session.scalars(
            select(IdentityRecord)
            .where(IdentityRecord.realm == realm, IdentityRecord.subject_id == subject_id)
            .order_by(IdentityRecord.id)
        ).all()

    def attach_subject(self, record_id: int, subject_id: str) -> None:
        self._session.execute(
            update(IdentityRecord).where(IdentityRecord.id == record_id)
            .values(subject_id=subject_id)
        )


class AuditLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, *, realm: str, event_type: str, occurred_at: datetime,
               actor: str | None = None, subject_id: str | None = None,
               details: dict[str, Any] | None = None) -> AuditEvent:
        event = AuditEvent(
            realm=realm, event_type=event_type, occurred_at=occurred_at, actor=actor,
            subject_id=subject_id, details=dict(details or {}),
        )
        self._session.add(event)
        self._session.flush()
        return event

    def last_occurred(self, *, realm: str, event_type: str,
                      subject_id: str) -> datetime | None:
        return self._session.scalar(
            select(AuditEvent.occurred_at)
            .where(AuditEvent.realm == realm, AuditEvent.event_type == event_type,
                   AuditEvent.subject_id == subject_id)
            .order_by(AuditEvent.occurred_at.desc()).limit(1))

    def of_subject(self, subject_id: str) -> Sequence[AuditEvent]:
        return self._session.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == subject_id)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        ).all()


class Outbox:
    """Enqueue side effects inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def enqueue(self, *, kind: str, payload: dict[str, Any], idempotency_key: str,
                now: datetime, not_before: datetime | None = None) -> bool:
        """Add a message unless one with this idempotency key exists. True when added."""
        values = {
            "kind": kind, "idempotency_key": idempotency_key, "payload": payload,
            "status": "pending", "attempts": 0, "created_at": now,
            "next_attempt_at": not_before or now,
        }
        dialect = self._session.get_bind().dialect.name
        insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
        if insert is None:
            raise NotImplementedError(f"outbox does not support {dialect}")
        statement = insert(OutboxMessage).values(**values).on_conflict_do_nothing(
            index_elements=["idempotency_key"]
        )
        result = self._session.execute(statement)
        return bool(getattr(result, "rowcount", 0))

    def get(self, idempotency_key: str) -> OutboxMessage | None:
        return self._session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
        ).one_or_none()


class OneTimeCodes:
    def __init__(self, session: Session) -> None:
        self._session = session

    def active(self, *, purpose: str, realm: str, subject: str) -> OneTimeCode | None:
        return self._session.scalars(
            select(OneTimeCode).where(
                OneTimeCode.purpose == purpose, OneTimeCode.realm == realm,
                OneTimeCode.subject == subject, OneTimeCode.status == "active",
            )
        ).one_or_none()

    def latest(self, *, purpose: str, realm: str, subject: str) -> OneTimeCode | None:
        """The newest code of the subject, whatever its status (it tells why none is usable)."""
        return self._session.scalars(
            select(OneTimeCode)
            .where(OneTimeCode.purpose == purpose, OneTimeCode.realm == realm,
                   OneTimeCode.subject == subject)
            .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc())
            .limit(1)
        ).first()

    def issued_since(self, *, purpose: str, realm: str, subject: str,
                     since: datetime) -> list[datetime]:
        return list(self._session.scalars(
            select(OneTimeCode.created_at).where(
                OneTimeCode.purpose == purpose, OneTimeCode.realm == realm,
                OneTimeCode.subject == subject, OneTimeCode.created_at > since,
            )
        ))

    def supersede_active(self, *, purpose: str, realm: str, subject: str,
                         now: datetime) -> None:
        self._session.execute(
            update(OneTimeCode)
            .where(OneTimeCode.purpose == purpose, OneTimeCode.realm == realm,
                   OneTimeCode.subject == subject, OneTimeCode.status == "active")
            .values(status="superseded", resolved_at=now)
            .execution_options(synchronize_session=False)
        )

    def add(self, code: OneTimeCode) -> OneTimeCode:
        self._session.add(code)
        self._session.flush()
        return code

    def take_attempt(self, code_id: int, now: datetime) -> int | None:
        """Atomically spend one attempt on a usable code; the attempts used so far, or None
        when the code is no longer usable (concurrent guesses cannot exceed the limit)."""
        result = self._session.execute(
            update(OneTimeCode)
            .where(OneTimeCode.id == code_id, OneTimeCode.status == "active",
                   OneTimeCode.attempts < OneTimeCode.max_attempts,
                   OneTimeCode.expires_at > now)
            .values(attempts=OneTimeCode.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 0):
            return None
        return self._session.scalar(select(OneTimeCode.attempts).where(OneTimeCode.id == code_id))

    def resolve(self, code_id: int, status: str, now: datetime) -> bool:
        """Move an active code to a final status; False if something else did first."""
        result = self._session.execute(
            update(OneTimeCode)
            .where(OneTimeCode.id == code_id, OneTimeCode.status == "active")
            .values(status=status, resolved_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
