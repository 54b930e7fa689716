"""Self-registrations of every portal (AKSes A5, OSS O1-O5). Flushes, never commits (the
transaction decides).

Status changes are single conditional UPDATEs, so concurrent requests for one registration
(a double click on "Aktivasi" or "Kirim Ulang") are decided by the database, not by a read
followed by a write.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.batches import chunks
from gerbang_sidecar.adapters.storage.crypto import keys_of
from gerbang_sidecar.adapters.storage.models import Registration, RegistrationDocument
from gerbang_sidecar.domain.registration_lifecycle import (
    ACCEPTED,
    ACTIVATED,
    ACTIVATING,
    DECLINED,
    IN_REVIEW,
    PENDING,
    REJECTED,
)


class SqlRegistrations:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, *, token_hash: bytes, realm: str, registration_type: str,
            data: dict[str, Any], locale: str, now: datetime, scope: str | None = None,
            expires_at: datetime | None = None,
            searchable: dict[str, str] | None = None) -> Registration:
        """``searchable``: {"nik": ..., "email": ...} kept as blind indexes for ``in_scope``."""
        found = searchable or {}
        row = Registration(token_hash=token_hash, realm=realm,
                           registration_type=registration_type, data=data, locale=locale,
                           status=PENDING, created_at=now, scope=scope, expires_at=expires_at,
                           nik_index=self._index("nik", found.get("nik")),
                           email_index=self._index("email", found.get("email")))
        self._session.add(row)
        self._session.flush()
        return row

    def by_token_hash(self, token_hash: bytes) -> Registration | None:
        return self._session.scalars(
            select(Registration).where(Registration.token_hash == token_hash)
        ).one_or_none()

    def get(self, registration_id: int) -> Registration | None:
        return self._session.get(Registration, registration_id)

    def accept(self, token_hash: bytes, *, realm: str, now: datetime,
               pending_since: datetime) -> bool:
        """pending -> activating ("Aktivasi" accepted), atomically: True for exactly one of
        concurrent callers, and only within the pending lifetime."""
        result = self._session.execute(
            update(Registration)
            .where(Registration.token_hash == token_hash, Registration.realm == realm,
                   Registration.created_at > pending_since,
                   Registration.status == PENDING)
            .values(status=ACTIVATING, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def mark_activated(self, registration_id: int, *, keycloak_user_id: str, now: datetime,
                       data: dict[str, Any]) -> bool:
        result = self._session.execute(
            update(Registration)
            .where(Registration.id == registration_id,
                   Registration.status == ACTIVATING)
            # The activation email is queued in the same transaction: its send slot (C2).
            .values(status=ACTIVATED, keycloak_user_id=keycloak_user_id, activated_at=now,
                    activation_email_sent_at=now, data=data)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def mark_declined(self, registration_id: int, *, data: dict[str, Any]) -> bool:
        """activating -> declined: an identifier already had an account; nothing was made,
        so nothing uploaded for it stays either (INSW's Surat Kuasa)."""
        result = self._session.execute(
            update(Registration)
            .where(Registration.id == registration_id,
                   Registration.status == ACTIVATING)
            .values(status=DECLINED, data=data)
            .execution_options(synchronize_session=False)
        )
        declined = bool(getattr(result, "rowcount", 0))
        if declined:
            self._session.execute(
                delete(RegistrationDocument)
                .where(RegistrationDocument.registration_id == registration_id)
                .execution_options(synchronize_session=False))
        return declined

    def claim_email_send(self, registration_id: int, *, now: datetime,
                         last_sent_before: datetime) -> bool:
        """Take the activation-email slot (C2): only when nothing was sent yet or the last
        send is older than ``last_sent_before``. One of concurrent "Kirim Ulang" wins. Every
        accepted registration has the slot, declined ones too (X1: the same answers)."""
        result = self._session.execute(
            update(Registration)
            .where(Registration.id == registration_id,
                   Registration.status.in_(ACCEPTED),
                   or_(Registration.activation_email_sent_at.is_(None),
                       Registration.activation_email_sent_at <= last_sent_before))
            .values(activation_email_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def purge_pending(self, *, created_before: datetime) -> int:
        """Delete unconfirmed registrations (and their encrypted data) past their lifetime."""
        result = self._session.execute(
            delete(Registration)
            .where(Registration.status == PENDING, Registration.expires_at.is_(None),
                   Registration.created_at <= created_before)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))

    def account_ids(self, *, realm: str) -> set[str]:
        """The Keycloak accounts the realm's registrations made."""
        return set(self._session.scalars(
            select(Registration.keycloak_user_id).distinct()
            .where(Registration.realm == realm, Registration.keycloak_user_id.is_not(None))))

    def of_account(self, *, realm: str, keycloak_user_id: str) -> list[Registration]:
        """The registrations that made this account (X10)."""
        return list(self._session.scalars(
            select(Registration)
            .where(Registration.realm == realm, Registration.keycloak_user_id == keycloak_user_id)
            .order_by(Registration.id)))

    def documents(self, registration_id: int) -> list[RegistrationDocument]:
        return list(self._session.scalars(
            select(RegistrationDocument)
            .where(RegistrationDocument.registration_id == registration_id)
            .order_by(RegistrationDocument.kind)))

    def forget_accounts(self, *, realm: str, keycloak_user_ids: Collection[str]) -> int:
        """Delete the registrations of accounts that no longer exist (their documents go
        with them: ON DELETE CASCADE, as for purge_pending)."""
        return sum(int(getattr(self._session.execute(
            delete(Registration)
            .where(Registration.realm == realm, Registration.keycloak_user_id.in_(chunk))
            .execution_options(synchronize_session=False)), "rowcount", 0))
            for chunk in chunks(sorted(keycloak_user_ids)))

    def activated_made_between(self, *, realm: str, after: datetime, until: datetime,
                               limit: int) -> list[Registration]:
        """At most ``limit`` rows, and every further one made at the last one's very time: a
        reader that continues after that time skips none."""
        def query(*conditions: Any) -> Select[tuple[Registration]]:
            # ix_registrations_status_created_at answers the range; realms share it.
            return (select(Registration)
                    .where(Registration.status == ACTIVATED, Registration.realm == realm,
                           Registration.created_at <= until, *conditions)
                    .order_by(Registration.created_at, Registration.id))

        rows = list(self._session.scalars(query(Registration.created_at > after).limit(limit)))
        if len(rows) == limit:
            last = rows[-1]
            rows += self._session.scalars(query(Registration.created_at == last.created_at,
                                                Registration.id > last.id))
        return rows

    def due_to_look_again(self, *, realm: str, now: datetime,
                          limit: int) -> list[Registration]:
        return list(self._session.scalars(
            select(Registration)
            .where(Registration.look_again_at <= now, Registration.realm == realm,
                   Registration.status == ACTIVATED)
            .order_by(Registration.look_again_at, Registration.id).limit(limit)))

    def look_again(self, registration_id: int, at: datetime | None, *,
                   spare_ends_at: datetime | None) -> None:
        self._session.execute(
            update(Registration).where(Registration.id == registration_id)
            .values(look_again_at=at, spare_ends_at=spare_ends_at)
            .execution_options(synchronize_session=False))

    def delete_in_review(self, registration_id: int) -> bool:
        """A rejected registration leaves nothing behind (documents by cascade); one of
        concurrent decisions wins, as with decide_review."""
        return bool(getattr(self._session.execute(
            delete(Registration)
            .where(Registration.id == registration_id, Registration.status == IN_REVIEW)
            .execution_options(synchronize_session=False)), "rowcount", 0))

    def set_pending_data(self, registration_id: int, *, data: dict[str, Any]) -> bool:
        """A step of a multi-step registration (INSW) changes what a pending row holds."""
        result = self._session.execute(
            update(Registration)
            .where(Registration.id == registration_id, Registration.status == PENDING)
            .values(data=data).execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def submit_for_review(self, registration_id: int, *, now: datetime) -> bool:
        """pending -> in_review (INSW "Daftar", I3): one of concurrent submissions wins."""
        result = self._session.execute(
            update(Registration)
            .where(Registration.id == registration_id, Registration.status == PENDING)
            .values(status=IN_REVIEW, claimed_at=now)
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def put_document(self, registration_id: int, *, kind: str, media_type: str,
                     content: bytes, now: datetime) -> None:
        """The registration's document of this kind; a new upload replaces the old."""
        self._session.execute(
            delete(RegistrationDocument)
            .where(RegistrationDocument.registration_id == registration_id,
                   RegistrationDocument.kind == kind)
            .execution_options(synchronize_session=False))
        self._session.add(RegistrationDocument(
            registration_id=registration_id, kind=kind, media_type=media_type,
            size=len(content), content=content, created_at=now))
        self._session.flush()

    def document(self, registration_id: int, kind: str) -> RegistrationDocument | None:
        return self._session.scalars(select(RegistrationDocument).where(
            RegistrationDocument.registration_id == registration_id,
            RegistrationDocument.kind == kind)).one_or_none()

    def waiting_for_review(self, realm: str) -> list[Registration]:
        """I4: the reviewer's queue, oldest first."""
        return list(self._session.scalars(
            select(Registration)
            .where(Registration.realm == realm, Registration.status == IN_REVIEW)
            .order_by(Registration.claimed_at, Registration.id)))

    def renew_link(self, registration_id: int, *, token_hash: bytes, now: datetime,
                   expires_at: datetime) -> bool:
        """B1 "Kirim Ulang": a pending row whose link has expired gets a new token and
        expiry; the old link stays dead. One of concurrent resends wins."""
        result = self._session.execute(
            update(Registration)
            .where(Registration.id == registration_id, Registration.status == PENDING,
                   Registration.expires_at.is_not(None), Registration.expires_at <= now)
            .values(token_hash=token_hash, expires_at=expires_at,
                    activation_email_sent_at=now)
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def _index(self, kind: str, value: str | None) -> bytes | None:
        return keys_of(self._session).blind_index.compute(kind, value) if value else None

    def in_scope(self, *, realm: str, scope: str | None, statuses: Sequence[str],
                 expired: bool | None, now: datetime, offset: int, limit: int,
                 lookup: tuple[str, str] | None = None) -> tuple[list[Registration], int]:
        """A verifier's page of registrations, newest first, and how many there are in all.
        ``scope`` None: every instansi (the RA). ``expired``: only rows whose link has
        (True) or has not (False) run out; None: either."""
        conditions = [Registration.realm == realm, Registration.status.in_(statuses)]
        if lookup is not None:
            kind, value = lookup
            column = Registration.nik_index if kind == "nik" else Registration.email_index
            conditions.append(column == self._index(kind, value))
        if scope is not None:
            conditions.append(Registration.scope == scope)
        if expired is True:
            conditions.append(Registration.expires_at <= now)
        elif expired is False:
            conditions.append(or_(Registration.expires_at.is_(None),
                                  Registration.expires_at > now))
        total = self._session.scalar(select(func.count()).select_from(Registration)
                                     .where(*conditions)) or 0
        rows = self._session.scalars(
            select(Registration).where(*conditions)
            .order_by(Registration.created_at.desc(), Registration.id.desc())
            .offset(offset).limit(limit))
        return list(rows), int(total)

    def decide_review(self, registration_id: int, *, approved: bool,
                      data: dict[str, Any]) -> bool:
        """in_review -> activating (approved) or rejected: one of concurrent reviewers wins."""
        result = self._session.execute(
            update(Registration)
            .where(Registration.id == registration_id, Registration.status == IN_REVIEW)
            .values(status=ACTIVATING if approved else REJECTED, data=data)
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))
