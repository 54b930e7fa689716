"""One-time codes for A6 (email, 5 digits) and B2 (WhatsApp, 6 digits), X2 limits.

Codes leave through the outbox, in the same transaction that stores their hash, so a code
is delivered if and only if it was stored. The outbox message kinds are
``one_time_code.email`` and ``one_time_code.whatsapp`` with the payload
``{"channel", "destination", "code", "purpose", "realm", "locale", "expires_at",
"ttl_minutes"}``; the mail / WhatsApp adapters register handlers for them with the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.models import OneTimeCode
from gerbang_sidecar.adapters.storage.repositories import OneTimeCodes, Outbox
from gerbang_sidecar.domain.one_time_code import (
    CodePolicy,
    code_matches,
    generate_code,
    hash_code,
    new_salt,
    policy_named,
    resend_wait,
)
from gerbang_sidecar.domain.throttle import TooEarly

Clock = Callable[[], datetime]


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
    pass


@dataclass(frozen=True)
class NoActiveCode:
    """Nothing to check against: never requested, already used, or superseded."""


RequestResult = Sent | TooEarly
VerifyResult = Verified | Wrong | Expired | Locked | NoActiveCode


class SessionFactory(Protocol):
    def __call__(self) -> Session: ...


class OneTimeCodeService:
    def __init__(self, session_factory: SessionFactory, code_key: bytes, clock: Clock,
                 generate: Callable[[CodePolicy], str] = generate_code) -> None:
        self._session_factory = session_factory
        self._key = code_key
        self._clock = clock
        self._generate = generate

    def request(self, *, policy: CodePolicy | str, realm: str, subject: str,
                destination: str, locale: str = "id",
                session: Session | None = None) -> RequestResult:
        """Issue a code unless throttled. A new code makes the previous one unusable.

        Pass `session` to join the caller's transaction (the caller commits); otherwise the
        service commits its own.
        """
        policy = policy_named(policy) if isinstance(policy, str) else policy
        now = self._clock()
        with self._unit_of_work(session) as s:
            codes = OneTimeCodes(s)
            issued = codes.issued_since(purpose=policy.name, realm=realm, subject=subject,
                                        since=now - max(policy.cap_window, policy.resend_after))
            wait = resend_wait(policy, now, issued)
            if wait is not None:
                return wait
            code = self._generate(policy)
            salt = new_salt()
            try:
                with s.begin_nested():
                    codes.supersede_active(purpose=policy.name, realm=realm, subject=subject,
                                           now=now)
                    row = codes.add(OneTimeCode(
                        purpose=policy.name, realm=realm, subject=subject,
                        channel=policy.channel.value, destination=destination,
                        code_hash=hash_code(self._key, salt, code), salt=salt,
                        status="active", attempts=0, max_attempts=policy.max_attempts,
                        created_at=now, expires_at=now + policy.ttl,
                    ))
            except IntegrityError:
                # A concurrent request issued a code for this subject a moment ago.
                return TooEarly(int(policy.resend_after.total_seconds()) or 1)
            Outbox(s).enqueue(
                kind=policy.outbox_kind,
                idempotency_key=f"one_time_code:{row.id}",
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
               session: Session | None = None) -> VerifyResult:
        policy = policy_named(policy) if isinstance(policy, str) else policy
        now = self._clock()
        with self._unit_of_work(session) as s:
            codes = OneTimeCodes(s)
            row = codes.latest(purpose=policy.name, realm=realm, subject=subject)
            if row is None:
                return NoActiveCode()
            if row.status == "active" and row.expires_at <= now:
                codes.resolve(row.id, "expired", now)
                return Expired()
            if row.status != "active":
                return _settled(row.status)
            used = codes.take_attempt(row.id, now)
            if used is None:
                # Another request used the last attempt or the code itself a moment ago.
                s.refresh(row)
                return _settled(row.status)
            if code_matches(self._key, row.salt, code, row.code_hash):
                if not codes.resolve(row.id, "verified", now):
                    return NoActiveCode()  # a concurrent request used it first
                return Verified(code_id=row.id, destination=row.destination)
            if used >= row.max_attempts:
                codes.resolve(row.id, "locked", now)
                return Locked()
            return Wrong(attempts_left=row.max_attempts - used)

    @contextmanager
    def _unit_of_work(self, session: Session | None) -> Iterator[Session]:
        if session is not None:
            yield session
            return
        with self._session_factory() as own, own.begin():
            yield own


def _settled(status: str) -> VerifyResult:
    if status == "locked":
        return Locked()
    if status == "expired":
        return Expired()
    return NoActiveCode()
