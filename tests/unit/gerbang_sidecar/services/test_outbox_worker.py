"""SqlOutbox: enqueue with the business change, deliver once, retry with backoff, then dead."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.adapters.storage.models import AuditEvent, OutboxMessage
from gerbang_sidecar.services.outbox_worker import (
    Delivery,
    OutboxWorker,
    PermanentFailure,
    RetryPolicy,
)

KIND = "mail.test"


class Recorder:
    def __init__(self, failures: int = 0, error: type[Exception] = ConnectionError) -> None:
        self.calls: list[Delivery] = []
        self.failures = failures
        self.error = error
        self._lock = threading.Lock()

    def __call__(self, delivery: Delivery) -> None:
        with self._lock:
            self.calls.append(delivery)
            if len(self.calls) <= self.failures:
                raise self.error("gateway said no to budi@example.com")


def enqueue(storage: Storage, clock: Any, key: str = "k1", kind: str = KIND,
            payload: dict[str, Any] | None = None) -> bool:
    with storage.transaction() as s:
        return s.outbox.enqueue(kind=kind, payload=payload or {"to": "budi@example.com"},
                                 idempotency_key=key, now=clock())


def message(storage: Storage, key: str = "k1") -> OutboxMessage:
    with storage.transaction() as s:
        found = s.outbox.get(key)
        assert found is not None
        return found


def make_worker(storage: Storage, clock: Any, **kwargs: Any) -> OutboxWorker:
    return OutboxWorker(storage, clock, **kwargs)


def test_outbox_enqueue_is_idempotent_by_key(storage, clock):
    assert enqueue(storage, clock) is True
    assert enqueue(storage, clock) is False
    with storage.session_factory() as s:
        assert len(s.scalars(select(OutboxMessage)).all()) == 1


def test_outbox_message_commits_or_rolls_back_with_the_business_change(storage, clock):
    with pytest.raises(RuntimeError), storage.transaction() as s:
        s.audit.record(realm="bsre", event_type="consent.privacy_policy",
                           occurred_at=clock())
        s.outbox.enqueue(kind=KIND, payload={}, idempotency_key="k1", now=clock())
        raise RuntimeError("business rule failed after enqueue")
    with storage.session_factory() as s:
        assert s.scalars(select(OutboxMessage)).all() == []
        assert s.scalars(select(AuditEvent)).all() == []


def test_outbox_delivers_with_idempotency_key_and_erases_payload(storage, clock):
    enqueue(storage, clock, payload={"to": "budi@example.com", "code": "12345"})
    handler = Recorder()
    worker = make_worker(storage, clock)
    worker.register(KIND, handler)
    report = worker.run_once()
    assert report.sent == 1
    [delivery] = handler.calls
    assert delivery.idempotency_key == "k1"
    assert delivery.payload == {"to": "budi@example.com", "code": "12345"}
    assert delivery.attempt == 1
    sent = message(storage)
    assert sent.status == "sent" and sent.sent_at == clock.now
    assert sent.payload is None


def test_outbox_never_sends_twice(storage, clock):
    enqueue(storage, clock)
    handler = Recorder()
    worker = make_worker(storage, clock)
    worker.register(KIND, handler)
    worker.run_once()
    clock.advance(days=1)
    worker.run_once()
    assert len(handler.calls) == 1


def test_outbox_concurrent_workers_never_send_twice(storage, clock):
    for i in range(40):
        enqueue(storage, clock, key=f"k{i}")
    handler = Recorder()
    workers = [make_worker(storage, clock, batch_size=3) for _ in range(4)]
    for worker in workers:
        worker.register(KIND, handler)

    def drain(worker: OutboxWorker) -> None:
        while worker.run_once().handled:
            pass

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    keys = [d.idempotency_key for d in handler.calls]
    assert sorted(keys) == sorted(f"k{i}" for i in range(40))


def test_outbox_retries_with_exponential_backoff_up_to_a_cap(storage, clock):
    enqueue(storage, clock)
    handler = Recorder(failures=100)
    retry = RetryPolicy(max_attempts=10, base_delay=timedelta(seconds=30),
                        max_delay=timedelta(minutes=4))
    worker = make_worker(storage, clock, retry=retry)
    worker.register(KIND, handler)
    waits = []
    for _ in range(6):
        assert worker.run_once().retried == 1
        pending = message(storage)
        waits.append(pending.next_attempt_at - clock.now)
        # Not due yet: nothing happens a second before the backoff ends.
        clock.now = pending.next_attempt_at - timedelta(seconds=1)
        assert worker.run_once().handled == 0
        clock.now = pending.next_attempt_at
    assert [w.total_seconds() for w in waits] == [30, 60, 120, 240, 240, 240]
    assert len(handler.calls) == 6


def test_outbox_dead_after_max_attempts(storage, clock):
    enqueue(storage, clock)
    handler = Recorder(failures=100)
    worker = make_worker(storage, clock, retry=RetryPolicy(max_attempts=3))
    worker.register(KIND, handler)
    for _ in range(5):
        worker.run_once()
        clock.advance(hours=2)
    dead = message(storage)
    assert dead.status == "dead" and dead.attempts == 3
    assert len(handler.calls) == 3


def test_outbox_retry_then_success(storage, clock):
    enqueue(storage, clock)
    handler = Recorder(failures=2)
    worker = make_worker(storage, clock)
    worker.register(KIND, handler)
    for _ in range(3):
        worker.run_once()
        clock.advance(hours=1)
    assert message(storage).status == "sent"
    assert [d.attempt for d in handler.calls] == [1, 2, 3]


def test_x3_outbox_permanent_failure_is_dead_at_once_and_keeps_no_payload(storage, clock):
    """A dead message keeps its kind and error, not the address or code (UU PDP)."""
    enqueue(storage, clock, payload={"to": "budi@example.com", "code": "12345"})
    handler = Recorder(failures=1, error=PermanentFailure)
    worker = make_worker(storage, clock)
    worker.register(KIND, handler)
    assert worker.run_once().dead == 1
    dead = message(storage)
    assert dead.status == "dead" and dead.payload is None and dead.last_error


def test_x2_a_code_past_its_expiry_is_not_sent(storage, clock):
    """After a gateway outage, a code whose time is over would only mislead."""
    expires = clock() + timedelta(minutes=5)
    enqueue(storage, clock, payload={"code": "123456", "expires_at": expires.isoformat()})
    handler = Recorder()
    worker = make_worker(storage, clock)
    worker.register(KIND, handler)
    clock.advance(minutes=6)
    assert worker.run_once().dead == 1
    assert handler.calls == []
    assert message(storage).last_error == "expired before delivery"


def test_x3_outbox_error_text_is_redacted(storage, clock):
    enqueue(storage, clock)
    worker = make_worker(storage, clock)
    worker.register(KIND, Recorder(failures=1))
    worker.run_once()
    error = message(storage).last_error
    assert error is not None and "budi@example.com" not in error
    assert error.startswith("ConnectionError")


def test_outbox_only_claims_kinds_it_handles(storage, clock):
    enqueue(storage, clock, key="a", kind="whatsapp.code")
    enqueue(storage, clock, key="b", kind=KIND)
    worker = make_worker(storage, clock)
    worker.register(KIND, Recorder())
    assert worker.run_once().sent == 1
    assert message(storage, "a").status == "pending"


def _hand_over(storage, clock, token, message_id):
    with storage.transaction() as tx:
        tx.outbox.hand_over(message_id, token=token, now=clock())


def test_outbox_crash_while_delivering_is_not_resent_by_default(storage, clock):
    enqueue(storage, clock)
    handler = Recorder()
    crashed = make_worker(storage, clock)
    crashed.register(KIND, handler)
    token, [claimed] = crashed._claim()
    _hand_over(storage, clock, token, claimed.id)  # dies here, mail sent or not
    survivor = make_worker(storage, clock)
    survivor.register(KIND, handler)
    assert survivor.run_once().handled == 0  # still leased to the crashed worker
    clock.advance(minutes=6)
    assert survivor.run_once().dead == 1
    assert handler.calls == []
    dead = message(storage)
    assert dead.status == "dead" and "outcome unknown" in (dead.last_error or "")
    assert dead.payload is None  # dead, so not kept (UU PDP)


def test_issue11_a_claimed_message_never_handed_over_is_delivered_once_elsewhere(
        storage, clock):
    """A worker killed mid-batch: what it claimed but never started is not lost -- after
    the lease another worker delivers it, once."""
    enqueue(storage, clock)
    handler = Recorder()
    crashed = make_worker(storage, clock)
    crashed.register(KIND, handler)
    crashed._claim()  # killed before its handler ran
    clock.advance(minutes=6)
    survivor = make_worker(storage, clock)
    survivor.register(KIND, handler)
    report = survivor.run_once()
    assert report.recovered == 1 and report.sent == 1 and report.dead == 0
    assert [d.idempotency_key for d in handler.calls] == ["k1"]
    assert message(storage).status == "sent"


def test_outbox_crash_after_claim_redelivers_idempotent_handlers(storage, clock):
    enqueue(storage, clock)
    handler = Recorder()
    crashed = make_worker(storage, clock)
    crashed.register(KIND, handler, redeliver_after_crash=True)
    crashed._claim()
    clock.advance(minutes=6)
    survivor = make_worker(storage, clock)
    survivor.register(KIND, handler, redeliver_after_crash=True)
    report = survivor.run_once()
    assert report.recovered == 1 and report.sent == 1
    assert [d.idempotency_key for d in handler.calls] == ["k1"]
    assert handler.calls[0].attempt == 2


def test_outbox_late_outcome_from_a_lost_claim_is_ignored(storage, clock):
    enqueue(storage, clock)
    worker = make_worker(storage, clock)
    worker.register(KIND, Recorder())
    token, [claimed] = worker._claim()
    _hand_over(storage, clock, token, claimed.id)
    clock.advance(minutes=6)
    worker._recover_expired_claims(report=type("R", (), {"dead": 0})())
    worker._finish(claimed.id, token, status="sent", error=None)
    assert message(storage).status == "dead"


def test_outbox_run_forever_stops_on_event(storage, clock):
    enqueue(storage, clock)
    handler = Recorder()
    worker = make_worker(storage, clock)
    worker.register(KIND, handler)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop, 0.01))
    thread.start()
    try:
        for _ in range(200):
            if handler.calls:
                break
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert len(handler.calls) == 1


def test_x5_a_poisoned_payload_is_parked_and_the_others_are_delivered(storage, clock):
    # Issue 8 item 10: one payload that cannot be decrypted stopped every run.
    for key in ("good-1", "poison", "good-2"):
        enqueue(storage, clock, key=key)
    with storage.engine.begin() as conn:
        conn.execute(text("UPDATE outbox_messages SET payload_encrypted = :junk "
                          "WHERE idempotency_key = 'poison'"), {"junk": b"not a ciphertext"})
    handler = Recorder()
    worker = make_worker(storage, clock)
    worker.register(KIND, handler)
    report = worker.run_once()
    assert (report.sent, report.dead) == (2, 1)
    assert sorted(d.idempotency_key for d in handler.calls) == ["good-1", "good-2"]
    with storage.session_factory() as session:
        status, error = session.execute(
            select(OutboxMessage.status, OutboxMessage.last_error)
            .where(OutboxMessage.idempotency_key == "poison")).one()
    assert status == "dead" and "payload unreadable" in (error or "")
    assert worker.run_once().handled == 0


def _sent_while_outcomes_refused(storage: Storage, clock: Any, monkeypatch: pytest.MonkeyPatch,
                                 *, runs: int = 1) -> tuple[OutboxWorker, Recorder]:
    """One message delivered while the database refuses every outcome (the retries do not
    wait); the worker and the handler that sent it."""
    from gerbang_sidecar.adapters.storage.outbox import SqlOutbox
    from gerbang_sidecar.ports.storage import StorageError

    def refuse(*_args: Any, **_kwargs: Any) -> bool:
        raise StorageError("database went away")

    enqueue(storage, clock)
    handler = Recorder()
    worker = make_worker(storage, clock, lease=timedelta(minutes=5))
    worker.register(KIND, handler)
    with monkeypatch.context() as patch:
        patch.setattr(SqlOutbox, "finish", refuse)
        patch.setattr("gerbang_sidecar.services.retried_transactions.time.sleep", lambda _s: None)
        for _ in range(runs):
            worker.run_once()
    return worker, handler


def test_x5_an_outcome_that_cannot_be_recorded_never_sends_twice(storage, clock, monkeypatch):
    # The mail left, then the database refused to record it: the message must not be sent
    # again by this worker nor, after its lease, by another one.
    _worker, handler = _sent_while_outcomes_refused(storage, clock, monkeypatch)
    assert len(handler.calls) == 1
    clock.advance(minutes=6)
    survivor = make_worker(storage, clock)
    survivor.register(KIND, handler)
    survivor.run_once()
    assert len(handler.calls) == 1
    assert message(storage).status == "dead"


def test_a5_a_batch_is_delivered_by_several_threads(storage, clock):
    for index in range(6):
        enqueue(storage, clock, key=f"k{index}")
    seen: set[str] = set()
    lock = threading.Lock()
    gate = threading.Barrier(3, timeout=5)

    def slow_handler(delivery: Delivery) -> None:
        with lock:
            seen.add(threading.current_thread().name)
        gate.wait()  # three deliveries at the same moment, or the barrier breaks

    worker = make_worker(storage, clock, concurrency=3)
    worker.register(KIND, slow_handler)
    report = worker.run_once()
    worker.close()
    assert report.sent == 6 and len(seen) == 3


def test_each_delivery_has_a_request_id_of_its_own_and_is_counted(storage, clock):
    """Issue 11 item 5: work outside a request still has an id (its log lines, the calls its
    handler makes), one per delivery; outcomes are counted by kind."""
    from gerbang_sidecar.adapters.metrics.memory import RecordingMetrics
    from gerbang_sidecar.request_ids import current_request_id

    seen: list[str | None] = []

    def handler(delivery: Delivery) -> None:
        seen.append(current_request_id())
        if delivery.idempotency_key == "k2":
            raise ConnectionError("gateway down")

    for key in ("k1", "k2", "k3"):
        enqueue(storage, clock, key=key)
    metrics = RecordingMetrics()
    worker = make_worker(storage, clock, metrics=metrics)
    worker.register(KIND, handler)
    worker.run_once()
    assert len(seen) == 3 and None not in seen and len(set(seen)) == 3
    assert current_request_id() is None, "the id ends with the delivery"
    assert metrics.count("outbox_delivery", kind=KIND, outcome="sent") == 2
    assert metrics.count("outbox_delivery", kind=KIND, outcome="retried") == 1


def test_x5_an_outcome_refused_for_a_while_is_recorded_as_sent_once_the_database_is_back(
        storage, clock, monkeypatch):
    # Ground rule 3 (nothing accepted is lost): the mail went out while the database
    # refused to record it; the worker keeps the outcome, so the message ends "sent" -- not
    # dead as "outcome unknown" after its lease -- and is never sent again.
    worker, handler = _sent_while_outcomes_refused(storage, clock, monkeypatch, runs=2)
    assert message(storage).status == "in_flight"  # still away after two runs: kept, not lost
    clock.advance(minutes=1)
    worker.run_once()
    sent = message(storage)
    assert sent.status == "sent" and sent.payload is None
    clock.advance(minutes=6)
    assert worker.run_once().handled == 0
    assert len(handler.calls) == 1


def test_x5_a_kept_outcome_the_database_keeps_refusing_holds_no_other_back(
        storage, clock, monkeypatch):
    """Two mails went out while the database was away; afterwards it refuses the first one's
    outcome for good (a bad row): the second is still recorded as sent."""
    from gerbang_sidecar.adapters.storage.outbox import SqlOutbox
    from gerbang_sidecar.ports.storage import StorageError

    enqueue(storage, clock, key="k0")  # delivered first, so its outcome is kept first
    worker, handler = _sent_while_outcomes_refused(storage, clock, monkeypatch)
    assert len(handler.calls) == 2
    first = message(storage, "k0").id
    real_finish = SqlOutbox.finish

    def refuses_the_first(self: Any, *, message_id: int, **kwargs: Any) -> bool:
        if message_id == first:
            raise StorageError("this row is refused")
        return real_finish(self, message_id=message_id, **kwargs)

    monkeypatch.setattr(SqlOutbox, "finish", refuses_the_first)
    for _ in range(2):
        clock.advance(seconds=30)
        worker.run_once()
    assert message(storage, "k1").status == "sent"
    assert message(storage, "k0").status == "in_flight"  # kept, and never sent twice
    assert len(handler.calls) == 2


def test_x5_a_kept_outcome_is_not_taken_for_a_crash_when_its_lease_runs_out(
        storage, clock, monkeypatch):
    """The database came back only after the lease: the worker still knows the message went
    out; its own expired claim is recorded as sent, not marked dead nor sent again."""
    from gerbang_sidecar.adapters.storage.outbox import SqlOutbox

    worker, handler = _sent_while_outcomes_refused(storage, clock, monkeypatch)
    clock.advance(minutes=6)
    real_finish = SqlOutbox.finish
    calls = {"n": 0}

    def refused_once_more(*args: Any, **kwargs: Any) -> bool:
        calls["n"] += 1
        if calls["n"] == 1:  # the kept outcome's first try this run: still away
            from gerbang_sidecar.ports.storage import StorageError
            raise StorageError("database went away")
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(SqlOutbox, "finish", refused_once_more)
    worker.run_once()  # the database answers again right after that try
    assert message(storage).status == "in_flight"  # not recovered as dead
    worker.close()
    assert message(storage).status == "sent" and len(handler.calls) == 1


def test_x5_every_mailed_link_and_code_carries_when_it_expires() -> None:
    """The worker drops a code or link that expired before delivery (an outage outlasted
    it): only a payload that says when it expires can be dropped (review: the SMS reset
    link, the Set Passphrase, B13 confirmation and Pengecekan Data Diri links did not)."""
    import ast
    from pathlib import Path

    import gerbang_sidecar

    # Links to a page behind the login, not a token: nothing expires.
    page_links = {"passphrases.py", "expiry.py"}
    services_dir = Path(gerbang_sidecar.__file__).parent / "services"
    missing = []
    for path in services_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if keys & {"url", "code"} and "realm" in keys and "expires_at" not in keys \
                        and path.name not in page_links:
                    missing.append(f"{path.name}:{node.lineno}")
    assert missing == [], missing
