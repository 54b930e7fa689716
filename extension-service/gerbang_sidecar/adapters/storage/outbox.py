"""The outbox table: side effects queued in the business transaction, claimed by workers.

A claim is one committed UPDATE that moves due messages from ``pending`` to ``in_flight``
under a fresh token: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (concurrent workers skip each
other's rows), while SQLite serialises writers; the UPDATE re-checks the status either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, defer

from gerbang_sidecar.adapters.storage.models import OutboxMessage
from gerbang_sidecar.ports.storage import UnreadablePayload

# Statuses of messages still waiting for something (the `due` index starts with the status).
UNSENT = ("pending", "in_flight", "dead")


@dataclass(frozen=True)
class OutboxBacklog:
    kind: str
    status: str
    count: int
    oldest_created_at: datetime
    earliest_next_attempt_at: datetime


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self._session = session

    def enqueue(self, *, kind: str, payload: dict[str, Any], idempotency_key: str,
                now: datetime, not_before: datetime | None = None) -> bool:
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

    def claim(self, *, token: str, kinds: Sequence[str], now: datetime, lease_until: datetime,
              limit: int) -> list[OutboxMessage]:
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                   OutboxMessage.kind.in_(sorted(kinds)))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            # Rendered on PostgreSQL only: concurrent workers skip each other's rows.
            .with_for_update(skip_locked=True)
            # Run once, as a materialized CTE. As a plain IN (subquery) PostgreSQL may plan
            # a nested-loop semi join that rescans the subquery for every row: each rescan
            # skips the rows this UPDATE has just taken and locks the next `limit`, so one
            # claim took the whole queue (seen with fresh table statistics after a burst).
            .cte("due").prefix_with("MATERIALIZED", dialect="postgresql")
        )
        self._session.execute(
            update(OutboxMessage)
            # Re-checking the status makes the claim safe even where the subquery could not
            # lock (the UPDATE itself is atomic).
            .where(OutboxMessage.id.in_(select(due.c.id)), OutboxMessage.status == "pending")
            .values(status="in_flight", claim_token=token, claimed_at=now,
                    claim_expires_at=lease_until, handed_over_at=None,
                    attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        # Payloads stay unread: one that cannot be decrypted must not take the batch down.
        return list(self._session.scalars(
            select(OutboxMessage).options(defer(OutboxMessage.payload))
            .where(OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        ))

    def hand_over(self, message_id: int, *, token: str, now: datetime) -> dict[str, Any]:
        self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
            .values(handed_over_at=now).execution_options(synchronize_session=False))
        try:
            value = self._session.scalar(
                select(OutboxMessage.payload).where(OutboxMessage.id == message_id))
        except SQLAlchemyError:
            raise
        except Exception as exc:  # the key ring or the JSON parser refused the stored bytes
            raise UnreadablePayload(type(exc).__name__) from None
        if value is not None and not isinstance(value, dict):
            raise UnreadablePayload(f"payload is a {type(value).__name__}")
        return dict(value or {})

    def finish(self, *, message_id: int, token: str, status: str, error: str | None,
               now: datetime, next_attempt_at: datetime | None = None) -> bool:
        values: dict[str, Any] = {"status": status, "last_error": error,
                                  "claim_token": None, "claim_expires_at": None}
        if status == "sent":
            # The payload may hold a code or an address; it has done its job.
            values.update(sent_at=now, payload=None)
        elif status == "dead":
            # Nor is it kept for a message that will not be sent (UU PDP: no longer than
            # needed); the kind, the idempotency key and the redacted error stay.
            values.update(payload=None)
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        result = self._session.execute(
            update(OutboxMessage)
            # Only the holder of the claim may record the outcome.
            .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token,
                   OutboxMessage.status == "in_flight")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def expired_claims(self, *, kinds: Sequence[str], now: datetime) -> list[OutboxMessage]:
        return list(self._session.scalars(
            select(OutboxMessage).options(defer(OutboxMessage.payload))
            .where(OutboxMessage.status == "in_flight",
                   OutboxMessage.claim_expires_at <= now,
                   OutboxMessage.kind.in_(sorted(kinds)))
            .with_for_update(skip_locked=True)
        ))

    def release_expired(self, message_id: int, *, status: str, now: datetime,
                        error: str | None) -> None:
        values: dict[str, Any] = {"status": status, "claim_token": None,
                                  "claim_expires_at": None}
        if status == "pending":
            values["next_attempt_at"] = now
        else:
            # Dead: its payload goes, as in finish().
            values.update(last_error=error, payload=None)
        self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "in_flight")
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def backlog(self) -> list[OutboxBacklog]:
        """One grouped read over the unsent rows (payloads untouched), for the metrics."""
        rows = self._session.execute(
            select(OutboxMessage.kind, OutboxMessage.status, func.count(),
                   func.min(OutboxMessage.created_at), func.min(OutboxMessage.next_attempt_at))
            .where(OutboxMessage.status.in_(UNSENT))
            .group_by(OutboxMessage.kind, OutboxMessage.status)
        )
        return [OutboxBacklog(kind, status, int(count), oldest, earliest)
                for kind, status, count, oldest, earliest in rows]
