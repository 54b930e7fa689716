"""Delivers outbox messages: claim, dispatch by kind, retry with backoff, never twice.

Sequence per message: (1) claim -- one committed UPDATE moves it from ``pending`` to
``in_flight`` under a fresh claim token (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite
serialises writers), so two workers never hold the same message; (2) call the handler with
the payload and the idempotency key; (3) commit the outcome: ``sent`` (payload erased),
``pending`` again with a backoff, or ``dead``.

The crash window, honestly: if the process dies after the handler's side effect happened
and before step (3) commits, the database cannot know whether the message went out. Such a
message stays ``in_flight`` until its lease expires. Then, by default, it is moved to
``dead`` with "outcome unknown" for a person to decide, because resending could deliver a
second email or WhatsApp message. Handlers whose remote end deduplicates by the idempotency
key (Keycloak calls that are idempotent by nature, gateways with idempotency headers) are
registered with ``redeliver_after_crash=True`` and are retried instead. So: at most once by
default, exactly once where the receiver honours the key.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from gerbang_sidecar.adapters.storage.models import OutboxMessage
from gerbang_sidecar.logging_setup import redact

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Delivery:
    """What a handler receives. `idempotency_key` should be passed to the remote when it
    supports one, so a redelivery after a crash is recognised there."""

    message_id: int
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    attempt: int


Handler = Callable[[Delivery], None]


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help (e.g. the address is rejected)."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)

    def delay(self, attempt: int) -> timedelta:
        """Wait after the `attempt`-th failure: base, 2x base, 4x base ... up to the cap."""
        return min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1)))


@dataclass
class RunReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    recovered: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.dead


@dataclass(frozen=True)
class _Registration:
    handler: Handler
    redeliver_after_crash: bool


@dataclass
class OutboxWorker:
    session_factory: sessionmaker[Session]
    clock: Clock
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    batch_size: int = 20
    # How long a claim may stay unresolved before it counts as crashed.
    lease: timedelta = timedelta(minutes=5)
    _handlers: dict[str, _Registration] = field(default_factory=dict, init=False)

    def register(self, kind: str, handler: Handler, *,
                 redeliver_after_crash: bool = False) -> None:
        self._handlers[kind] = _Registration(handler, redeliver_after_crash)

    def run_once(self) -> RunReport:
        """Recover expired claims, then deliver one batch of due messages."""
        report = RunReport()
        if not self._handlers:
            return report
        report.recovered = self._recover_expired_claims(report)
        token, claimed = self._claim()
        for message in claimed:
            self._deliver(message, token, report)
        return report

    def run_forever(self, stop: threading.Event, idle_seconds: float = 1.0) -> None:
        """Loop until `stop` is set; sleeps only when a run found nothing to do."""
        while not stop.is_set():
            try:
                report = self.run_once()
            except Exception:
                # A database hiccup must not end the worker; the next run retries.
                log.exception("outbox run failed")
                report = RunReport()
            if report.handled == 0:
                stop.wait(idle_seconds)

    def _claim(self) -> tuple[str, list[OutboxMessage]]:
        token = secrets.token_hex(16)
        now = self.clock()
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now,
                   OutboxMessage.kind.in_(sorted(self._handlers)))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(self.batch_size)
            # Rendered on PostgreSQL only: concurrent workers skip each other's rows.
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        with self.session_factory() as session, session.begin():
            session.execute(
                update(OutboxMessage)
                # Re-checking the status makes the claim safe even where the subquery
                # could not lock (the UPDATE itself is atomic).
                .where(OutboxMessage.id.in_(due), OutboxMessage.status == "pending")
                .values(status="in_flight", claim_token=token, claimed_at=now,
                        claim_expires_at=now + self.lease,
                        attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            )
        with self.session_factory() as session:
            claimed = list(session.scalars(
                select(OutboxMessage).where(OutboxMessage.claim_token == token)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            ))
        return token, claimed

    def _deliver(self, message: OutboxMessage, token: str, report: RunReport) -> None:
        registration = self._handlers[message.kind]
        delivery = Delivery(message_id=message.id, kind=message.kind,
                            payload=dict(message.payload or {}),
                            idempotency_key=message.idempotency_key, attempt=message.attempts)
        try:
            registration.handler(delivery)
        except PermanentFailure as exc:
            self._finish(message.id, token, status="dead", error=_describe(exc))
            report.dead += 1
            log.warning("outbox message %s (%s) failed permanently", message.id, message.kind)
            return
        except Exception as exc:
            if message.attempts >= self.retry.max_attempts:
                self._finish(message.id, token, status="dead", error=_describe(exc))
                report.dead += 1
                log.warning("outbox message %s (%s) dead after %s attempts",
                            message.id, message.kind, message.attempts)
            else:
                self._finish(message.id, token, status="pending", error=_describe(exc),
                             next_attempt_at=self.clock() + self.retry.delay(message.attempts))
                report.retried += 1
                log.info("outbox message %s (%s) will be retried", message.id, message.kind)
            return
        self._finish(message.id, token, status="sent", error=None)
        report.sent += 1

    def _finish(self, message_id: int, token: str, *, status: str, error: str | None,
                next_attempt_at: datetime | None = None) -> None:
        now = self.clock()
        values: dict[str, Any] = {"status": status, "last_error": error,
                                  "claim_token": None, "claim_expires_at": None}
        if status == "sent":
            # The payload may hold a code or an address; it has done its job.
            values.update(sent_at=now, payload=None)
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        with self.session_factory() as session, session.begin():
            result = session.execute(
                update(OutboxMessage)
                # Only the holder of the claim may record the outcome.
                .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token,
                       OutboxMessage.status == "in_flight")
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if not getattr(result, "rowcount", 0):
                log.error("outbox message %s: claim lost before its outcome was recorded",
                          message_id)

    def _recover_expired_claims(self, report: RunReport) -> int:
        now = self.clock()
        recovered = 0
        with self.session_factory() as session, session.begin():
            stale = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == "in_flight",
                       OutboxMessage.claim_expires_at <= now,
                       OutboxMessage.kind.in_(sorted(self._handlers)))
                .with_for_update(skip_locked=True)
            ).all()
            for message in stale:
                registration = self._handlers[message.kind]
                message.claim_token = None
                message.claim_expires_at = None
                if registration.redeliver_after_crash \
                        and message.attempts < self.retry.max_attempts:
                    message.status = "pending"
                    message.next_attempt_at = now
                    recovered += 1
                else:
                    message.status = "dead"
                    message.last_error = ("outcome unknown: the worker stopped while "
                                          "delivering; check before resending")
                    report.dead += 1
                log.warning("outbox message %s (%s): claim expired, now %s",
                            message.id, message.kind, message.status)
        return recovered


def _describe(exc: BaseException) -> str:
    # Exception texts can quote a recipient; redact before it reaches the table.
    return redact(f"{type(exc).__name__}: {exc}")[:500]
