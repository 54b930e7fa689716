"""The append-only audit trail (X4): events are added, never changed (see engine.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.models import AuditEvent
from gerbang_sidecar.domain.redaction import redact

# Details that hold what people typed: an officer's reason, the name a user gave a device.
# Nothing stops a reason from quoting a NIK, and no audit row can be corrected or erased,
# so whatever looks like an identifier there is masked on the way in (X3).
TYPED_DETAILS = ("reason", "label")


class SqlAuditTrail:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, *, realm: str, event_type: str, occurred_at: datetime,
               actor: str | None = None, subject_id: str | None = None,
               details: dict[str, Any] | None = None) -> AuditEvent:
        kept = {key: redact(value) if key in TYPED_DETAILS and isinstance(value, str) else value
                for key, value in (details or {}).items()}
        event = AuditEvent(realm=realm, event_type=event_type, occurred_at=occurred_at,
                           actor=actor, subject_id=subject_id, details=kept)
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
