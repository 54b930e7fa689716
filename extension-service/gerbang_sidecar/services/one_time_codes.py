"""One-time codes for A6 (email, 5 digits) and B2 (WhatsApp, 6 digits), X2 limits.

Codes leave through the outbox, in the same transaction that stores their hash, so a code
is delivered if and only if it was stored. The outbox message kinds are
``one_time_code.email`` and ``one_time_code.whatsapp`` with the payload
``{"channel", "destination", "code", "purpose", "realm", "locale", "expires_at",
"ttl_minutes"}``; the wiring registers their handlers with the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from gerbang_sidecar.domain.one_time_code import (
    CodePolicy,
    code_matches,
    generate_code,
    hash_code,
    message_key,
    new_salt,
    policy_named,
    resend_wait,
)
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.metrics import NO_METRICS, Metrics
from gerbang_sidecar.ports.storage import Store, Transaction


@dataclass(frozen=True)
class Sent:
    code_id: int
    expires_at: datetime
    resend_available_at: datetime


@dataclass(frozen=True)
class Verified:
    code_id: int
    # The address the code went to: the caller records *this* as proven, not whatever the
    # browser claims now.
    destination: str


@dataclass(frozen=True)
class Wrong:
    attempts_left: int


@dataclass(frozen=True)
class Expired:
    pass


@dataclass(frozen=True)
class Locked:
    # True when this attempt used the last one (a lockout, for the metrics).
    now: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class NoActiveCode:
    """Nothing to check against: never requested, already used, or superseded."""


@dataclass(frozen=True)
class LastCode:
    """Where the subject's newest code went, and when: for pages that show it."""

    destination: str
    status: str
    sent_at: datetime


RequestResult = Sent | TooEarly
VerifyResult = Verified | Wrong | Expired | Locked | NoActiveCode


class OneTimeCodeService:
    def __init__(self, store: Store, code_key: bytes, clock: Clock,
                 generate: Callable[[CodePolicy], str] = generate_code, *,
                 metrics: Metrics = NO_METRICS) -> None:
        self._store = store
        self._key = code_key
        self._clock = clock
        self._generate = generate
        self._metrics = metrics

    def request(self, *, policy: CodePolicy | str, realm: str, subject: str,
                destination: str, locale: str = "id",
                tx: Transaction | None = None) -> RequestResult:
        """Issue a code unless throttled. A new code makes the previous one unusable.

        Pass ``tx`` to join the caller's transaction; otherwise the service opens its own.
        """
        policy = policy_named(policy) if isinstance(policy, str) else policy
        result = self._request(policy, realm=realm, subject=subject, destination=destination,
                               locale=locale, tx=tx)
        self._metrics.one_time_code_requested(
            purpose=policy.name, outcome="sent" if isinstance(result, Sent) else "too_early")
        return result

    def _request(self, policy: CodePolicy, *, realm: str, subject: str, destination: str,
                 locale: str, tx: Transaction | None) -> RequestResult:
        now = self._clock()
        with self._joined(tx) as t:
            issued = t.codes.issued_since(purpose=policy.name, realm=realm, subject=subject,
                                          since=now - max(policy.cap_window, policy.resend_after))
            wait = resend_wait(policy, now, issued)
            if wait is not None:
                return wait
            code = self._generate(policy)
            salt = new_salt()
            row = t.codes.replace_active(
                purpose=policy.name, realm=realm, subject=subject, channel=policy.channel.value,
                destination=destination, code_hash=hash_code(self._key, salt, code), salt=salt,
                max_attempts=policy.max_attempts, now=now, expires_at=now + policy.ttl)
            if row is None:
                # A concurrent request issued a code for this subject a moment ago.
                return TooEarly(int(policy.resend_after.total_seconds()) or 1)
            t.outbox.enqueue(
                kind=policy.outbox_kind,
                idempotency_key=message_key(row.id),
                now=now,
                payload={
                    "channel": policy.channel.value, "destination": destination, "code": code,
                    "purpose": policy.name, "realm": realm, "locale": locale,
                    "expires_at": row.expires_at.isoformat(),
                    "ttl_minutes": int(policy.ttl.total_seconds() // 60),
                },
            )
            return Sent(code_id=row.id, expires_at=row.expires_at,
                        resend_available_at=now + policy.resend_after)

    def verify(self, *, policy: CodePolicy | str, realm: str, subject: str, code: str,
               tx: Transaction | None = None) -> VerifyResult:
        policy = policy_named(policy) if isinstance(policy, str) else policy
        result = self._verify(policy, realm=realm, subject=subject, code=code, tx=tx)
        self._metrics.one_time_code_checked(purpose=policy.name, outcome=_outcome(result))
        return result

    def _verify(self, policy: CodePolicy, *, realm: str, subject: str, code: str,
                tx: Transaction | None) -> VerifyResult:
        now = self._clock()
        with self._joined(tx) as t:
            row = t.codes.latest(purpose=policy.name, realm=realm, subject=subject)
            if row is None:
                return NoActiveCode()
            if row.status == "active" and row.expires_at <= now:
                t.codes.resolve(row.id, "expired", now)
                return Expired()
            if row.status != "active":
                return _settled(row.status)
            if t.codes.never_sent(row.id):
                t.codes.resolve(row.id, "superseded", now)
                return NoActiveCode()
            used = t.codes.take_attempt(row.id, now)
            if used is None:
                # Another request used the last attempt or the code itself a moment ago.
                return _settled(t.codes.status_of(row.id) or "")
            if code_matches(self._key, row.salt, code, row.code_hash):
                if not t.codes.resolve(row.id, "verified", now):
                    return NoActiveCode()  # a concurrent request used it first
                return Verified(code_id=row.id, destination=row.destination)
            if used >= row.max_attempts:
                t.codes.resolve(row.id, "locked", now)
                return Locked(now=True)
            return Wrong(attempts_left=row.max_attempts - used)

    def give_back(self, code_id: int) -> None:
        """What ``Verified`` proved could not be recorded (Keycloak was away): the code works
        again, with its attempts and expiry as they were, unless a newer one was asked."""
        with self._store.transaction() as t:
            t.codes.reopen(code_id)

    def last_code(self, *, policy: CodePolicy | str, realm: str,
                  subject: str) -> LastCode | None:
        policy = policy_named(policy) if isinstance(policy, str) else policy
        with self._store.transaction() as t:
            row = t.codes.latest(purpose=policy.name, realm=realm, subject=subject)
            return None if row is None else LastCode(row.destination, row.status,
                                                     row.created_at)

    @contextmanager
    def _joined(self, tx: Transaction | None) -> Iterator[Transaction]:
        if tx is not None:
            yield tx
            return
        with self._store.transaction() as own:
            yield own


def _outcome(result: VerifyResult) -> str:
    if isinstance(result, Locked):
        return "locked_out" if result.now else "locked"
    return {Verified: "verified", Wrong: "wrong", Expired: "expired"}.get(
        type(result), "no_code")


def _settled(status: str) -> VerifyResult:
    if status == "locked":
        return Locked()
    if status == "expired":
        return Expired()
    return NoActiveCode()
