"""Delivers outbox messages: claim, dispatch by kind, retry with backoff, never twice.

Sequence per message: (1) claim -- one committed transaction moves it from ``pending`` to
``in_flight`` under a fresh claim token, so two workers never hold the same message
(``OutboxQueue.claim``); (2) call the handler with
the payload and the idempotency key; (3) commit the outcome: ``sent`` (payload erased),
``pending`` again with a backoff, or ``dead``.

The crash window, honestly: if the process dies after the handler's side effect happened
and before step (3) commits, the database cannot know whether the message went out. Such a
message stays ``in_flight`` until its lease expires. Then, by default, it is moved to
``dead`` with "outcome unknown" for a person to decide, because resending could deliver a
second email or WhatsApp message. Only a message that was handed to its handler is in that
window: the rest of a dead worker's batch (claimed, never started -- ``hand_over`` records
the start in the transaction that reads the payload) goes back to ``pending`` and is
delivered by another worker, so nothing claimed is lost. A worker that lives on while the
database refuses an outcome keeps it and records it at its next run, so a message that went
out is marked ``sent`` (not dead) when the database is back within the lease.

Handlers whose remote end deduplicates by the idempotency key (Keycloak calls that are
idempotent by nature, gateways with idempotency headers) are registered with
``redeliver_after_crash=True`` and are retried instead. So: at most once by default,
exactly once where the receiver honours the key.

Each delivery runs under a request id of its own (``request_ids.py``): its log lines carry it
and its calls to Keycloak and the registries send it. Each outcome is reported to the Metrics
port by kind (issue 11 item 5).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gerbang_sidecar.domain.redaction import redact
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.metrics import NO_METRICS, Metrics
from gerbang_sidecar.ports.storage import (
    OutboxRecord,
    StorageError,
    Store,
    Transaction,
    UnreadablePayload,
)
from gerbang_sidecar.request_ids import request_id_scope
from gerbang_sidecar.services.retried_transactions import in_retried_transaction

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class _Outcome:
    """A delivery's result the database refused to record, kept to record later."""

    message_id: int
    token: str
    status: str
    error: str | None
    at: datetime
    next_attempt_at: datetime | None


@dataclass
class OutboxWorker:
    store: Store
    clock: Clock
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    batch_size: int = 20
    # How long a claim may stay unresolved before it counts as crashed.
    lease: timedelta = timedelta(minutes=5)
    # Messages of one batch delivered at once: handlers wait on Keycloak, SMTP and gateways,
    # so a single thread would leave the accounts behind "Aktivasi" queueing under load.
    concurrency: int = 1
    metrics: Metrics = NO_METRICS
    _handlers: dict[str, _Registration] = field(default_factory=dict, init=False)
    _pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _report_lock: threading.Lock = field(default_factory=threading.Lock, init=False,
                                         repr=False)
    _unrecorded: list[_Outcome] = field(default_factory=list, init=False, repr=False)

    def register(self, kind: str, handler: Handler, *,
                 redeliver_after_crash: bool = False) -> None:
        self._handlers[kind] = _Registration(handler, redeliver_after_crash)

    def run_once(self) -> RunReport:
        """Recover expired claims, then deliver one batch of due messages."""
        report = RunReport()
        if not self._handlers:
            return report
        # Before any claim can expire: our own outcomes first, so a sent message is not
        # taken for one whose outcome nobody knows.
        self._record_unrecorded()
        report.recovered = self._recover_expired_claims(report)
        token, claimed = self._claim()
        if self.concurrency > 1 and len(claimed) > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency,
                                                thread_name_prefix="outbox-delivery")
            list(self._pool.map(lambda m: self._deliver(m, token, report), claimed))
        else:
            for message in claimed:
                self._deliver(message, token, report)
        return report

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._record_unrecorded()
        for outcome in self._unrecorded:
            # Left to its lease: a person may look at the message's log line.
            log.error("outbox message %s: outcome %s never recorded (worker stopping)",
                      outcome.message_id, outcome.status)

    def run_forever(self, stop: threading.Event, idle_seconds: float = 1.0,
                    after_each_run: Callable[[], None] | None = None) -> None:
        """Loop until `stop` is set; sleeps only when a run found nothing to do.
        ``after_each_run`` (a heartbeat, housekeeping) runs after every run, failed or not."""
        while not stop.is_set():
            try:
                report = self.run_once()
            except Exception:
                # A database hiccup must not end the worker; the next run retries.
                log.exception("outbox run failed")
                report = RunReport()
            if after_each_run is not None:
                after_each_run()
            if report.handled == 0:
                stop.wait(idle_seconds)

    def _claim(self) -> tuple[str, list[OutboxRecord]]:
        token = secrets.token_hex(16)
        now = self.clock()
        with self.store.transaction() as tx:
            claimed = tx.outbox.claim(token=token, kinds=list(self._handlers), now=now,
                                      lease_until=now + self.lease, limit=self.batch_size)
        return token, claimed

    def _deliver(self, message: OutboxRecord, token: str, report: RunReport) -> None:
        started = time.monotonic()
        with request_id_scope() as request_id:
            log.debug("outbox message %s (%s) delivering as %s", message.id, message.kind,
                      request_id)
            outcome = self._deliver_one(message, token, report)
        self.metrics.outbox_delivery(kind=message.kind, outcome=outcome,
                                     seconds=time.monotonic() - started)

    def _deliver_one(self, message: OutboxRecord, token: str, report: RunReport) -> str:
        registration = self._handlers[message.kind]
        try:
            with self.store.transaction() as tx:
                payload = tx.outbox.hand_over(message.id, token=token, now=self.clock())
        except UnreadablePayload as exc:
            # Parked with the reason for a person to look at; the rest of the batch goes on.
            self._finish(message.id, token, status="dead",
                         error=f"payload unreadable ({exc}): parked")
            self._count(report, "dead")
            log.error("outbox message %s (%s): payload unreadable, parked",
                      message.id, message.kind)
            return "dead"
        if _expired(payload, self.clock()):
            # A code or link past its time (after an outage, say) would only mislead.
            self._finish(message.id, token, status="dead", error="expired before delivery")
            self._count(report, "dead")
            log.info("outbox message %s (%s) expired before delivery", message.id,
                     message.kind)
            return "dead"
        delivery = Delivery(message_id=message.id, kind=message.kind, payload=payload,
                            idempotency_key=message.idempotency_key, attempt=message.attempts)
        try:
            registration.handler(delivery)
        except PermanentFailure as exc:
            reason = _describe(exc)
            self._finish(message.id, token, status="dead", error=reason)
            self._count(report, "dead")
            log.warning("outbox message %s (%s) failed permanently: %s", message.id,
                        message.kind, reason)
            return "dead"
        except Exception as exc:
            if message.attempts >= self.retry.max_attempts:
                self._finish(message.id, token, status="dead", error=_describe(exc))
                self._count(report, "dead")
                log.warning("outbox message %s (%s) dead after %s attempts",
                            message.id, message.kind, message.attempts)
                return "dead"
            self._finish(message.id, token, status="pending", error=_describe(exc),
                         next_attempt_at=self.clock() + self.retry.delay(message.attempts))
            self._count(report, "retried")
            log.info("outbox message %s (%s) will be retried", message.id, message.kind)
            return "retried"
        self._finish(message.id, token, status="sent", error=None)
        self._count(report, "sent")
        return "sent"

    def _count(self, report: RunReport, outcome: str) -> None:
        with self._report_lock:
            setattr(report, outcome, getattr(report, outcome) + 1)

    def _finish(self, message_id: int, token: str, *, status: str, error: str | None,
                next_attempt_at: datetime | None = None) -> None:
        """Record the outcome, trying a few times. If the database stays away the outcome
        is kept for the next run; the message stays in flight meanwhile, and if this
        process ends first, its lease runs out and it goes dead (or, for handlers safe to
        repeat, pending), so a send that happened is never repeated by default."""
        outcome = _Outcome(message_id, token, status, error, self.clock(), next_attempt_at)
        try:
            recorded = in_retried_transaction(self.store,
                                              lambda tx: self._record(tx, outcome))
        except StorageError:
            log.error("outbox message %s: outcome %s not recorded; kept for the next run",
                      message_id, status)
            with self._report_lock:
                self._unrecorded.append(outcome)
            return
        if not recorded:
            log.error("outbox message %s: claim lost before its outcome was recorded",
                      message_id)

    @staticmethod
    def _record(tx: Transaction, outcome: _Outcome) -> bool:
        return tx.outbox.finish(message_id=outcome.message_id, token=outcome.token,
                                status=outcome.status, error=outcome.error, now=outcome.at,
                                next_attempt_at=outcome.next_attempt_at)

    def _record_unrecorded(self) -> None:
        """One try each, in turn; stops at the first refusal (the database is likely still
        away) and keeps the rest, the refused one last: one the database keeps refusing
        must not hold the others back for good."""
        with self._report_lock:
            waiting, self._unrecorded = self._unrecorded, []
        for index, outcome in enumerate(waiting):
            try:
                with self.store.transaction() as tx:
                    recorded = self._record(tx, outcome)
            except StorageError:
                with self._report_lock:
                    self._unrecorded[:0] = [*waiting[index + 1:], outcome]
                return
            log.info("outbox message %s: outcome %s recorded late%s", outcome.message_id,
                     outcome.status, "" if recorded else " -- claim already expired")

    def _recover_expired_claims(self, report: RunReport) -> int:
        now = self.clock()
        recovered = 0
        with self._report_lock:
            ours = {outcome.message_id for outcome in self._unrecorded}
        with self.store.transaction() as tx:
            for message in tx.outbox.expired_claims(kinds=list(self._handlers), now=now):
                if message.id in ours:
                    continue  # this worker knows how it went and records it when it can
                registration = self._handlers[message.kind]
                never_started = message.handed_over_at is None
                if (never_started or registration.redeliver_after_crash) \
                        and message.attempts < self.retry.max_attempts:
                    status, error = "pending", None
                    recovered += 1
                else:
                    status = "dead"
                    error = ("outcome unknown: the worker stopped while delivering; check "
                             "before resending")
                    report.dead += 1
                tx.outbox.release_expired(message.id, status=status, now=now, error=error)
                log.warning("outbox message %s (%s): claim expired, now %s",
                            message.id, message.kind, status)
        return recovered


def _describe(exc: BaseException) -> str:
    # Exception texts can quote a recipient; redact before it reaches the table.
    return redact(f"{type(exc).__name__}: {exc}")[:500]


def _expired(payload: dict[str, Any], now: datetime) -> bool:
    """Payloads of codes and links carry ``expires_at`` (ISO 8601)."""
    raw = payload.get("expires_at")
    if not isinstance(raw, str):
        return False
    try:
        return datetime.fromisoformat(raw) <= now
    except (ValueError, TypeError):  # not a time, or one without a zone
        return False
