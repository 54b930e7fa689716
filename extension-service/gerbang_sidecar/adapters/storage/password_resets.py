"""Forgot-password requests (A7) and the single-use set-password links sent by SMS."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.models import PasswordResetLink, PasswordResetRequest


class SqlPasswordResets:
    def __init__(self, session: Session) -> None:
        self._session = session

    def purge_requests(self, *, created_before: datetime) -> None:
        self._session.execute(delete(PasswordResetRequest).where(
            PasswordResetRequest.created_at < created_before))

    def add_request(self, *, token_hash: bytes, realm: str, identifier: str, channel: str,
                    locale: str, now: datetime) -> int:
        row = PasswordResetRequest(token_hash=token_hash, realm=realm, identifier=identifier,
                                   channel=channel, locale=locale, created_at=now,
                                   last_sent_at=now, sends=1)
        self._session.add(row)
        self._session.flush()
        return row.id

    def request(self, request_id: int) -> PasswordResetRequest | None:
        return self._session.get(PasswordResetRequest, request_id)

    def live_request(self, token_hash: bytes, *,
                     created_after: datetime) -> PasswordResetRequest | None:
        return self._session.scalars(select(PasswordResetRequest).where(
            PasswordResetRequest.token_hash == token_hash,
            PasswordResetRequest.created_at > created_after,
        )).one_or_none()

    def count_send(self, request_id: int, *, now: datetime, last_sent_before: datetime) -> bool:
        # One conditional UPDATE: two quick clicks cannot both pass the resend check.
        result = self._session.execute(
            update(PasswordResetRequest)
            .where(PasswordResetRequest.id == request_id,
                   PasswordResetRequest.last_sent_at <= last_sent_before)
            .values(last_sent_at=now, sends=PasswordResetRequest.sends + 1)
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def add_link(self, *, token_hash: bytes, realm: str, user_id: str, locale: str,
                 now: datetime, expires_at: datetime) -> int:
        link = PasswordResetLink(token_hash=token_hash, realm=realm, user_id=user_id,
                                 locale=locale, created_at=now, expires_at=expires_at)
        self._session.add(link)
        self._session.flush()
        return link.id

    def usable_link(self, token_hash: bytes, *, now: datetime) -> PasswordResetLink | None:
        return self._session.scalars(select(PasswordResetLink).where(
            PasswordResetLink.token_hash == token_hash, PasswordResetLink.used_at.is_(None),
            PasswordResetLink.expires_at > now)).one_or_none()

    def use_link(self, link_id: int, *, now: datetime) -> bool:
        result = self._session.execute(
            update(PasswordResetLink)
            .where(PasswordResetLink.id == link_id, PasswordResetLink.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def give_back_link(self, link_id: int) -> None:
        self._session.execute(update(PasswordResetLink).where(PasswordResetLink.id == link_id)
                              .values(used_at=None).execution_options(synchronize_session=False))

    def use_all_links(self, *, realm: str, user_id: str, now: datetime) -> None:
        self._session.execute(update(PasswordResetLink)
                              .where(PasswordResetLink.realm == realm,
                                     PasswordResetLink.user_id == user_id,
                                     PasswordResetLink.used_at.is_(None))
                              .values(used_at=now).execution_options(synchronize_session=False))
