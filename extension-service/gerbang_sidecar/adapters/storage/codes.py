"""One-time codes (A6, B2): only their HMAC is stored; attempts are counted atomically."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, String, cast, exists, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.models import OneTimeCode, OutboxMessage
from gerbang_sidecar.domain.one_time_code import MESSAGE_KEY_PREFIX


class SqlOneTimeCodes:
    def __init__(self, session: Session) -> None:
        self._session = session

    def latest(self, *, purpose: str, realm: str, subject: str) -> OneTimeCode | None:
        return self._session.scalars(
            select(OneTimeCode)
            .where(OneTimeCode.purpose == purpose, OneTimeCode.realm == realm,
                   OneTimeCode.subject == subject)
            .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc())
            .limit(1)
        ).first()

    def issued_since(self, *, purpose: str, realm: str, subject: str,
                     since: datetime) -> list[datetime]:
        # A code whose message the outbox gave up on (an outage outlasted it, the relay
        # refused it) reached nobody: it spends none of the daily cap nor the resend wait
        # (rule 3) -- and is never accepted (``never_sent``), or each new one would be five
        # more guesses at a code nobody received.
        return list(self._session.scalars(
            select(OneTimeCode.created_at).where(
                OneTimeCode.purpose == purpose, OneTimeCode.realm == realm,
                OneTimeCode.subject == subject, OneTimeCode.created_at > since,
                ~_message_dead(),
            )
        ))

    def never_sent(self, code_id: int) -> bool:
        """The outbox gave up on the code's message."""
        return bool(self._session.scalar(
            select(OneTimeCode.id).where(OneTimeCode.id == code_id, _message_dead())))

    def replace_active(self, *, purpose: str, realm: str, subject: str, channel: str,
                       destination: str, code_hash: bytes, salt: bytes, max_attempts: int,
                       now: datetime, expires_at: datetime) -> OneTimeCode | None:
        row = OneTimeCode(purpose=purpose, realm=realm, subject=subject, channel=channel,
                          destination=destination, code_hash=code_hash, salt=salt,
                          status="active", attempts=0, max_attempts=max_attempts,
                          created_at=now, expires_at=expires_at)
        try:
            # The unique "one active code" index decides between racing requests; the
            # savepoint keeps the caller's transaction usable when this one loses.
            with self._session.begin_nested():
                self._session.execute(
                    update(OneTimeCode)
                    .where(OneTimeCode.purpose == purpose, OneTimeCode.realm == realm,
                           OneTimeCode.subject == subject, OneTimeCode.status == "active")
                    .values(status="superseded", resolved_at=now)
                    .execution_options(synchronize_session=False)
                )
                self._session.add(row)
                self._session.flush()
        except IntegrityError:
            return None
        return row

    def take_attempt(self, code_id: int, now: datetime) -> int | None:
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
        result = self._session.execute(
            update(OneTimeCode)
            .where(OneTimeCode.id == code_id, OneTimeCode.status == "active")
            .values(status=status, resolved_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def reopen(self, code_id: int) -> bool:
        try:
            with self._session.begin_nested():  # the one-active-code index may refuse it
                result = self._session.execute(
                    update(OneTimeCode)
                    .where(OneTimeCode.id == code_id, OneTimeCode.status == "verified")
                    .values(status="active", resolved_at=None,
                            attempts=OneTimeCode.attempts - 1)
                    .execution_options(synchronize_session=False))
        except IntegrityError:
            return False
        return bool(getattr(result, "rowcount", 0))

    def status_of(self, code_id: int) -> str | None:
        return self._session.scalar(select(OneTimeCode.status).where(OneTimeCode.id == code_id))


def _message_dead() -> ColumnElement[bool]:
    return exists().where(
        OutboxMessage.idempotency_key
        == literal(MESSAGE_KEY_PREFIX).concat(cast(OneTimeCode.id, String)),
        OutboxMessage.status == "dead")
