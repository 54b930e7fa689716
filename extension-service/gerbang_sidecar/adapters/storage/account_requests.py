"""Account requests (B11, B13). Flushes, never commits; decisions are conditional UPDATEs, so
of two officers deciding at once one wins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.models import AccountRequest, AccountRequestDocument

PENDING = "pending"


class SqlAccountRequests:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, *, realm: str, user_id: str, scope: str | None, kind: str,
            data: dict[str, Any], requested_by: str, now: datetime) -> AccountRequest:
        row = AccountRequest(realm=realm, user_id=user_id, scope=scope, kind=kind,
                             status=PENDING, data=data, requested_by=requested_by,
                             created_at=now)
        self._session.add(row)
        self._session.flush()
        return row

    def get(self, request_id: int) -> AccountRequest | None:
        return self._session.get(AccountRequest, request_id)

    def put_document(self, request_id: int, *, kind: str, media_type: str, content: bytes,
                     now: datetime) -> None:
        self._session.add(AccountRequestDocument(
            request_id=request_id, kind=kind, media_type=media_type, size=len(content),
            content=content, created_at=now))
        self._session.flush()

    def document(self, request_id: int, kind: str) -> AccountRequestDocument | None:
        return self._session.scalars(select(AccountRequestDocument).where(
            AccountRequestDocument.request_id == request_id,
            AccountRequestDocument.kind == kind)).one_or_none()

    def pending_of(self, *, realm: str, user_id: str) -> list[AccountRequest]:
        return list(self._session.scalars(select(AccountRequest).where(
            AccountRequest.realm == realm, AccountRequest.user_id == user_id,
            AccountRequest.status == PENDING).order_by(AccountRequest.id)))

    def of_user(self, *, realm: str, user_id: str) -> list[AccountRequest]:
        return list(self._session.scalars(select(AccountRequest).where(
            AccountRequest.realm == realm, AccountRequest.user_id == user_id)
            .order_by(AccountRequest.id.desc())))

    def pending_in_scope(self, *, realm: str, scope: str | None, kinds: Sequence[str],
                         offset: int, limit: int) -> tuple[list[AccountRequest], int]:
        conditions = [AccountRequest.realm == realm, AccountRequest.status == PENDING,
                      AccountRequest.kind.in_(kinds)]
        if scope is not None:
            conditions.append(AccountRequest.scope == scope)
        total = self._session.scalar(select(func.count()).select_from(AccountRequest)
                                     .where(*conditions)) or 0
        rows = self._session.scalars(select(AccountRequest).where(*conditions)
                                     .order_by(AccountRequest.id).offset(offset).limit(limit))
        return list(rows), int(total)

    def decide(self, request_id: int, *, status: str, by: str, now: datetime) -> bool:
        result = self._session.execute(
            update(AccountRequest)
            .where(AccountRequest.id == request_id, AccountRequest.status == PENDING)
            .values(status=status, decided_by=by, decided_at=now)
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))
