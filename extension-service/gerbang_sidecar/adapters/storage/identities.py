"""Identity records: personal identifiers claimed in a realm, encrypted, blind-indexed (X3).

The unique (realm, kind, blind_index) lets registration refuse a second account with the same
NIK / SID / passport / email / phone without ever decrypting a row.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.batches import chunks
from gerbang_sidecar.adapters.storage.crypto import keys_of
from gerbang_sidecar.adapters.storage.models import IDENTIFIER_KINDS, IdentityRecord
from gerbang_sidecar.ports.storage import DuplicateIdentifier


class SqlIdentityRecords:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._index = keys_of(session).blind_index

    def add(self, *, realm: str, kind: str, value: str, created_at: datetime,
            subject_id: str | None = None) -> IdentityRecord:
        if kind not in IDENTIFIER_KINDS:
            raise ValueError(f"unknown identifier kind {kind!r}")
        record = IdentityRecord(
            realm=realm, kind=kind, value=value, subject_id=subject_id, created_at=created_at,
            blind_index=self._index.compute(kind, value),
        )
        # A savepoint keeps the caller's transaction usable after a duplicate.
        try:
            with self._session.begin_nested():
                self._session.add(record)
        except IntegrityError:
            raise DuplicateIdentifier(kind) from None
        return record

    def add_all(self, *, realm: str, pairs: Sequence[tuple[str, str]], created_at: datetime,
                subject_id: str) -> None:
        wanted = self._indexed(pairs)
        held = self._held(realm, wanted)
        if any(subject != subject_id for subject in held.values()):
            raise DuplicateIdentifier("one of the identifiers")
        records = [IdentityRecord(realm=realm, kind=kind, value=value, subject_id=subject_id,
                                  created_at=created_at, blind_index=index)
                   for (kind, index), value in wanted.items() if (kind, index) not in held]
        # One statement for all of them; a duplicate anywhere refuses the whole set.
        try:
            with self._session.begin_nested():
                self._session.add_all(records)
        except IntegrityError:
            raise DuplicateIdentifier("one of the identifiers") from None

    def hold_all(self, *, realm: str, accounts: Mapping[str, Sequence[tuple[str, str]]],
                 created_at: datetime) -> list[str]:
        # A page of 500 accounts in a few statements: the index reads whole realms this way.
        wanted = {subject: self._indexed(pairs) for subject, pairs in accounts.items()}
        holders: dict[tuple[str, bytes], str | None] = {}
        stored: set[tuple[str, tuple[str, bytes]]] = set()
        stale: list[int] = []
        for row_id, subject, key in self._rows(realm, IdentityRecord.subject_id, list(wanted)):
            if key in wanted[subject]:
                holders[key] = subject
                stored.add((subject, key))
            else:
                stale.append(row_id)
        for chunk in chunks(stale):
            self._session.execute(delete(IdentityRecord).where(IdentityRecord.id.in_(chunk)))
        holders.update(self._held(realm, {key: value for keys in wanted.values()
                                          for key, value in keys.items() if key not in holders}))
        refused: list[str] = []
        added: list[dict[str, object]] = []
        for subject, keys in wanted.items():
            for (kind, index), value in keys.items():
                # A key free before this call goes to the first account of the batch wanting it.
                if holders.setdefault((kind, index), subject) != subject:
                    refused.append(kind)
                elif (subject, (kind, index)) not in stored:
                    added.append({"realm": realm, "kind": kind, "value": value,
                                  "subject_id": subject, "created_at": created_at,
                                  "blind_index": index})
        try:
            with self._session.begin_nested():
                self._session.add_all(IdentityRecord(**row) for row in added)
        except IntegrityError:  # claimed by another process since the read: one at a time
            for row in added:
                try:
                    with self._session.begin_nested():
                        self._session.add(IdentityRecord(**row))
                except IntegrityError:
                    refused.append(str(row["kind"]))
        return refused

    def release_all(self, *, realm: str, subject_ids: Collection[str]) -> int:
        # A realm read whole may find thousands gone: a statement per chunk, not per account.
        # Sorted so that two processes releasing the same accounts lock rows in one order.
        return sum(self._session.execute(
            delete(IdentityRecord).where(IdentityRecord.realm == realm,
                                         IdentityRecord.subject_id.in_(chunk))
        ).rowcount for chunk in chunks(sorted(subject_ids)))

    def subjects(self, *, realm: str) -> set[str]:
        return {subject for subject in self._session.scalars(
            select(IdentityRecord.subject_id).distinct().where(IdentityRecord.realm == realm))
            if subject is not None}

    def _indexed(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, bytes], str]:
        """{(kind, blind index): value} of ``pairs``."""
        for kind, _ in pairs:
            if kind not in IDENTIFIER_KINDS:
                raise ValueError(f"unknown identifier kind {kind!r}")
        return {(kind, self._index.compute(kind, value)): value for kind, value in pairs}

    def _rows(self, realm: str, column: Any, values: Sequence[Any]
              ) -> Iterator[tuple[int, str | None, tuple[str, bytes]]]:
        """(id, subject, (kind, blind index)) of the realm's records whose ``column`` is
        among ``values``, in chunks a database takes as parameters."""
        for chunk in chunks(values):
            for row_id, subject, kind, index in self._session.execute(
                    select(IdentityRecord.id, IdentityRecord.subject_id, IdentityRecord.kind,
                           IdentityRecord.blind_index)
                    .where(IdentityRecord.realm == realm, column.in_(chunk))):
                yield row_id, subject, (kind, bytes(index))

    def _held(self, realm: str, wanted: Mapping[tuple[str, bytes], str]
              ) -> dict[tuple[str, bytes], str | None]:
        """Who holds any of ``wanted`` now: {(kind, blind index): subject id}."""
        return {key: subject for _, subject, key in self._rows(
            realm, IdentityRecord.blind_index, [index for _, index in wanted])}

    def find(self, *, realm: str, kind: str, value: str) -> IdentityRecord | None:
        return self._session.scalars(
            select(IdentityRecord).where(
                IdentityRecord.realm == realm,
                IdentityRecord.kind == kind,
                IdentityRecord.blind_index == self._index.compute(kind, value),
            )
        ).one_or_none()

    def exists(self, *, realm: str, kind: str, value: str) -> bool:
        return self.find(realm=realm, kind=kind, value=value) is not None

    def owners(self, *, realm: str, pairs: Sequence[tuple[str, str]]) -> set[str]:
        """One query for every pair: the subjects holding any of them."""
        if not pairs:
            return set()
        wanted = or_(*(and_(IdentityRecord.kind == kind,
                            IdentityRecord.blind_index == self._index.compute(kind, value))
                       for kind, value in pairs))
        return {subject for subject in self._session.scalars(
            select(IdentityRecord.subject_id).where(IdentityRecord.realm == realm, wanted))
            if subject is not None}

    def of_subject(self, *, realm: str, subject_id: str) -> Sequence[IdentityRecord]:
        return self._session.scalars(
            select(IdentityRecord)
            .where(IdentityRecord.realm == realm, IdentityRecord.subject_id == subject_id)
            .order_by(IdentityRecord.id)
        ).all()
