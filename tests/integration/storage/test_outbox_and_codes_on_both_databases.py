"""The outbox claim, the one-time code limits, the captcha's spent puzzles, the INSW
usernames, the count of passphrase tries and the identity-check links on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import altcha
from sqlalchemy import update

from gerbang_sidecar.adapters.captcha.altcha import AltchaProofOfWork
from gerbang_sidecar.adapters.storage.models import OutboxMessage
from gerbang_sidecar.domain.one_time_code import B2_WHATSAPP
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.services.captcha import Captcha, CaptchaVerdict
from gerbang_sidecar.services.one_time_codes import (
    Locked,
    OneTimeCodeService,
    Sent,
    Verified,
    Wrong,
)
from gerbang_sidecar.services.outbox_worker import Delivery, OutboxWorker
from support.threads import run_together


def test_outbox_concurrent_workers_claim_each_message_once(storage, clock):
    with storage.transaction() as s:
        for i in range(60):
            s.outbox.enqueue(kind="mail.test", payload={"n": i}, idempotency_key=f"k{i}",
                              now=clock())
    calls: list[str] = []
    lock = threading.Lock()

    def handler(delivery: Delivery) -> None:
        with lock:
            calls.append(delivery.idempotency_key)

    def drain() -> None:
        worker = OutboxWorker(storage, clock, batch_size=4)
        worker.register("mail.test", handler)
        while worker.run_once().handled:
            pass

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(calls) == sorted(f"k{i}" for i in range(60))



def test_outbox_claim_takes_at_most_its_batch_on_a_fresh_queue(storage, clock):
    """A burst of messages on a table without statistics yet: PostgreSQL once planned the
    claim as a nested-loop semi join that rescanned its LIMIT ... SKIP LOCKED subquery per
    row, so one claim of 20 took all 1,000 (found by tests/cluster); a batch is a batch."""
    with storage.transaction() as s:
        for i in range(1000):
            s.outbox.enqueue(kind="mail.test", payload={"n": i}, idempotency_key=f"b{i}",
                              now=clock())
    sizes = []
    for n in range(3):
        with storage.transaction() as s:
            sizes.append(len(s.outbox.claim(token=f"t{n}", kinds=["mail.test"], now=clock(),
                                            lease_until=clock(), limit=20)))
    assert sizes == [20, 20, 20]

def test_b2_limits_hold_on_this_database(storage, clock):
    def generate(policy) -> str:
        return "123456"

    service = OneTimeCodeService(storage, storage.keys.one_time_code, clock,
                                 generate)
    ask = {"policy": B2_WHATSAPP, "realm": "bsre", "subject": "kc-9"}
    assert isinstance(service.request(**ask, destination="+6281234567890"), Sent)
    assert isinstance(service.request(**ask, destination="+6281234567890"), TooEarly)
    for left in (4, 3, 2, 1):
        assert service.verify(**ask, code="654321") == Wrong(attempts_left=left)
    assert service.verify(**ask, code="654321") == Locked()
    clock.advance(seconds=61)
    assert isinstance(service.request(**ask, destination="+6281234567890"), Sent)
    clock.advance(minutes=14)
    assert service.verify(**ask, code="123456") == Verified(
        code_id=2, destination="+6281234567890")


def test_x5_a_code_whose_message_died_spends_no_wait_on_this_database(storage, clock):
    """The code's message key joins its outbox row (text key, integer id) on both."""
    service = OneTimeCodeService(storage, storage.keys.one_time_code, clock)
    ask = {"policy": B2_WHATSAPP, "realm": "bsre", "subject": "kc-10"}
    assert isinstance(service.request(**ask, destination="+6281234567890"), Sent)
    assert isinstance(service.request(**ask, destination="+6281234567890"), TooEarly)
    with storage.engine.begin() as connection:
        connection.execute(update(OutboxMessage).values(status="dead"))
    assert isinstance(service.request(**ask, destination="+6281234567890"), Sent)


def test_o2_a_captcha_solution_is_spent_once_under_concurrency(storage):
    """O2/O3: concurrent submissions of one solution (a double submit, a replay) pass once."""
    captcha = Captcha(AltchaProofOfWork(b"k" * 32, cost=50), storage, lambda: datetime.now(UTC))
    challenge = altcha.Challenge.from_dict(captcha.puzzle())
    solution = altcha.Payload(challenge, altcha.solve_challenge(challenge)).to_base64()
    verdicts: list[CaptchaVerdict] = []
    threads = [threading.Thread(target=lambda: verdicts.append(captcha.check(solution)))
               for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verdicts.count(CaptchaVerdict.PASSED) == 1
    assert verdicts.count(CaptchaVerdict.REFUSED) == 5


def test_i4_concurrent_approvals_get_different_usernames_never_reused(storage, clock):
    """I4: the username's sequence comes from the database; racing approvals cannot collide
    and the same registration always gets the same name."""
    names: dict[int, str] = {}

    def approve(registration_id: int) -> None:
        with storage.transaction() as tx:
            names[registration_id] = tx.issued_usernames.issue(
                realm="insw", registration_id=registration_id, now=clock(),
                name_for=lambda n: f"USER.20261202.00.{n:05d}")

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(names.values())) == 8
    approve(3)
    assert len(set(names.values())) == 8  # the same name again for registration 3


def test_b22_passphrase_tries_are_counted_before_they_are_made_on_this_database(storage, clock):
    """Twenty concurrent tries on one certificate: exactly five are let through (counted
    1..5), the rest see it locked; a try given back frees one place."""
    with storage.transaction() as tx:
        certificate_id = tx.certificates.add_certificate(
            realm="bsre", user_id="holder", serial_number="1A2B", product="esign",
            status="issued", enroll_method="web", note="",
            not_before=clock(), not_after=clock(), certificate=b"der", pkcs12=b"p12",
            created_at=clock()).id
    counted: list[int | None] = []
    lock = threading.Lock()

    def attempt() -> None:
        with storage.transaction() as tx:
            got = tx.certificates.reserve_passphrase_attempt(certificate_id, 5)
        with lock:
            counted.append(got)

    run_together(attempt, times=20)
    assert sorted(c for c in counted if c is not None) == [1, 2, 3, 4, 5]
    assert counted.count(None) == 15
    with storage.transaction() as tx:
        tx.certificates.give_back_passphrase_attempt(certificate_id)
        assert tx.certificates.reserve_passphrase_attempt(certificate_id, 5) == 5


def test_b9_b13_c2_a_held_mark_lets_one_transaction_at_a_time_through(storage):
    """What per-user decisions rely on (OTP removal, one pending change per field, one
    reset link per 15 minutes): read, decide, write -- never two at once."""
    with storage.transaction() as tx:
        tx.sync_marks.advance("counted", 0)

    def read_then_write() -> None:
        with storage.transaction() as tx:
            tx.sync_marks.hold("per-user:holder")
            seen = tx.sync_marks.get("counted") or 0
            tx.sync_marks.advance("counted", seen + 1)  # a lost update without the hold

    threads = [threading.Thread(target=read_then_write) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    with storage.transaction() as tx:
        assert tx.sync_marks.get("counted") == 12


def test_b9_only_the_newest_check_link_lives_even_when_an_older_one_is_given_back(
        storage, clock):
    from datetime import timedelta

    def link(tx, n):  # type: ignore[no-untyped-def]
        return tx.identity_checks.add(token_hash=bytes([n]) * 32, realm="bsre", user_id="u-1",
                                      purpose="otp", locale="id", now=clock(),
                                      expires_at=clock() + timedelta(hours=1)).id

    def is_usable(tx, n):  # type: ignore[no-untyped-def]
        return tx.identity_checks.usable(bytes([n]) * 32, now=clock(),
                                         max_attempts=3) is not None

    with storage.transaction() as tx:
        first = link(tx, 1)
        assert tx.identity_checks.use(first, now=clock())
        tx.identity_checks.give_back(first)  # Keycloak failed: usable again
    with storage.transaction() as tx:
        assert is_usable(tx, 1)
        assert tx.identity_checks.use(first, now=clock())
        link(tx, 2)  # a newer link came meanwhile
        tx.identity_checks.give_back(first)
    with storage.transaction() as tx:
        assert not is_usable(tx, 1) and is_usable(tx, 2)
        assert not tx.identity_checks.use(first, now=clock())  # the newer one is the live one
