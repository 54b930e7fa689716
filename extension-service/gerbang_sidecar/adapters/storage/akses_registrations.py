"""Pending AKSes registrations (A5). Flushes, never commits (the transaction decides).

Status changes are single conditional UPDATEs, so concurrent requests for one registration
(a double click on "Aktivasi" or "Kirim Ulang") are decided by the database, not by a read
followed by a write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.models import AksesRegistration
from gerbang_sidecar.domain.akses.lifecycle import (
    ACCEPTED,
    ACTIVATED,
    ACTIVATING,
    DECLINED,
    PENDING,
)


class SqlAksesRegistrations:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, *, token_hash: bytes, registration_type: str, data: dict[str, Any],
            locale: str, now: datetime) -> AksesRegistration:
        row = AksesRegistration(token_hash=token_hash, registration_type=registration_type,
                                data=data, locale=locale, status=PENDING, created_at=now)
        self._session.add(row)
        self._session.flush()
        return row

    def by_token_hash(self, token_hash: bytes) -> AksesRegistration | None:
        return self._session.scalars(
            select(AksesRegistration).where(AksesRegistration.token_hash == token_hash)
        ).one_or_none()

    def get(self, registration_id: int) -> AksesRegistration | None:
        return self._session.get(AksesRegistration, registration_id)

    def accept(self, token_hash: bytes, *, now: datetime, pending_since: datetime) -> bool:
        """pending -> activating ("Aktivasi" accepted), atomically: True for exactly one of
        concurrent callers, and only within the pending lifetime."""
        result = self._session.execute(
            update(AksesRegistration)
            .where(AksesRegistration.token_hash == token_hash,
                   AksesRegistration.created_at > pending_since,
                   AksesRegistration.status == PENDING)
            .values(status=ACTIVATING, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def mark_activated(self, registration_id: int, *, keycloak_user_id: str, now: datetime,
                       data: dict[str, Any]) -> bool:
        result = self._session.execute(
            update(AksesRegistration)
            .where(AksesRegistration.id == registration_id,
                   AksesRegistration.status == ACTIVATING)
            # The activation email is queued in the same transaction: its send slot (C2).
            .values(status=ACTIVATED, keycloak_user_id=keycloak_user_id, activated_at=now,
                    activation_email_sent_at=now, data=data)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def mark_declined(self, registration_id: int, *, data: dict[str, Any]) -> bool:
        """activating -> declined: an identifier already had an account; nothing was made."""
        result = self._session.execute(
            update(AksesRegistration)
            .where(AksesRegistration.id == registration_id,
                   AksesRegistration.status == ACTIVATING)
            .values(status=DECLINED, data=data)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def claim_email_send(self, registration_id: int, *, now: datetime,
                         last_sent_before: datetime) -> bool:
        """Take the activation-email slot (C2): only when nothing was sent yet or the last
        send is older than ``last_sent_before``. One of concurrent "Kirim Ulang" wins. Every
        accepted registration has the slot, declined ones too (X1: the same answers)."""
        result = self._session.execute(
            update(AksesRegistration)
            .where(AksesRegistration.id == registration_id,
                   AksesRegistration.status.in_(ACCEPTED),
                   or_(AksesRegistration.activation_email_sent_at.is_(None),
                       AksesRegistration.activation_email_sent_at <= last_sent_before))
            .values(activation_email_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def purge_pending(self, *, created_before: datetime) -> int:
        """Delete unconfirmed registrations (and their encrypted data) past their lifetime."""
        result = self._session.execute(
            delete(AksesRegistration)
            .where(AksesRegistration.status == PENDING,
                   AksesRegistration.created_at <= created_before)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))
