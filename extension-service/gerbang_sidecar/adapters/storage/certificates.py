"""The CA hierarchy, subscriber certificates and certificate requests (issue 12). Flushes,
never commits; the one-time Set Passphrase link is spent by a conditional UPDATE, so a
double submit issues one certificate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.models import (
    CertificateAuthorityRecord,
    CertificateRequestRecord,
    IssuedCertificateRecord,
    SyncMark,
)
from gerbang_sidecar.adapters.storage.sync_marks import SqlSyncMarks
from gerbang_sidecar.domain.certificates.service_keys import ServiceKey
from gerbang_sidecar.ports.storage import CertificateStatus

CA_NAME = "issuing"
_STATUS_COLUMNS = (IssuedCertificateRecord.serial_number, IssuedCertificateRecord.status,
                   IssuedCertificateRecord.revoked_at, IssuedCertificateRecord.revocation_reason)
# How many revocations were ever recorded: one row, moved by every revocation in its own
# transaction (set_status), so reading it costs the same at 100 or 1,000,000 revocations --
# counting the revoked rows took 18 ms at 100,000. The CRL and the OCSP responder's caches
# hold while it stays the same; adapters/storage/revocation_mark.py reads it outside a
# transaction. Migration 0019 starts it at the revoked rows' count.
REVOCATIONS = "certificates:revocations"
REVOCATION_MARK = select(SyncMark.value).where(SyncMark.name == REVOCATIONS)


class SqlCertificates:
    def __init__(self, session: Session) -> None:
        self._session = session

    # --- the hierarchy --------------------------------------------------------------------

    def authority(self) -> CertificateAuthorityRecord | None:
        return self._session.scalars(select(CertificateAuthorityRecord).where(
            CertificateAuthorityRecord.name == CA_NAME)).one_or_none()

    def add_authority(self, *, root_certificate: bytes, root_key: bytes,
                      issuing_certificate: bytes, issuing_key: bytes,
                      responder_certificate: bytes, responder_key: bytes,
                      now: datetime, tsa_certificate: bytes | None = None,
                      tsa_key: bytes | None = None) -> None:
        self._session.add(CertificateAuthorityRecord(
            name=CA_NAME, root_certificate=root_certificate, root_key=root_key,
            issuing_certificate=issuing_certificate, issuing_key=issuing_key,
            responder_certificate=responder_certificate, responder_key=responder_key,
            tsa_certificate=tsa_certificate, tsa_key=tsa_key, created_at=now))
        self._session.flush()

    def add_timestamping(self, *, tsa_certificate: bytes, tsa_key: bytes) -> bool:
        # Conditional: of two processes completing an old hierarchy at once, one wins and
        # the other's freshly made TSA is dropped.
        done = self._session.execute(
            update(CertificateAuthorityRecord)
            .where(CertificateAuthorityRecord.name == CA_NAME,
                   CertificateAuthorityRecord.tsa_certificate.is_(None))
            .values(tsa_certificate=tsa_certificate, tsa_key=tsa_key)
            .execution_options(synchronize_session=False))
        return bool(getattr(done, "rowcount", 0))

    def replace_service_key(self, service: ServiceKey, *, old_certificate: bytes,
                            certificate: bytes, key: bytes) -> bool:
        record = CertificateAuthorityRecord
        current, values = (
            (record.responder_certificate,
             {"responder_certificate": certificate, "responder_key": key})
            if service is ServiceKey.OCSP_RESPONDER else
            (record.tsa_certificate, {"tsa_certificate": certificate, "tsa_key": key}))
        done = self._session.execute(
            update(record).where(record.name == CA_NAME, current == old_certificate)
            .values(**values).execution_options(synchronize_session=False))
        return bool(getattr(done, "rowcount", 0))

    # --- requests (B15) -------------------------------------------------------------------

    def add_request(self, **values: Any) -> CertificateRequestRecord:
        row = CertificateRequestRecord(**values)
        self._session.add(row)
        self._session.flush()
        return row

    def request_by_token(self, token_hash: bytes, *,
                         now: datetime) -> CertificateRequestRecord | None:
        return self._session.scalars(select(CertificateRequestRecord).where(
            CertificateRequestRecord.token_hash == token_hash,
            CertificateRequestRecord.enrollment == "Waiting",
            CertificateRequestRecord.link_expires_at > now)).one_or_none()

    def selfie_checked(self, request_id: int, *, now: datetime) -> None:
        self._session.execute(
            update(CertificateRequestRecord)
            .where(CertificateRequestRecord.id == request_id)
            .values(selfie_checked_at=now).execution_options(synchronize_session=False))

    def complete(self, request_id: int, *, certificate_id: int | None, enrollment: str,
                 detail: str = "") -> bool:
        """Waiting -> Success/Failed, the link spent; True for one of concurrent callers."""
        result = self._session.execute(
            update(CertificateRequestRecord)
            .where(CertificateRequestRecord.id == request_id,
                   CertificateRequestRecord.enrollment == "Waiting")
            .values(enrollment=enrollment, certificate_id=certificate_id, token_hash=None,
                    detail=detail)
            .execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def requests_of(self, *, realm: str, user_id: str) -> list[CertificateRequestRecord]:
        return list(self._session.scalars(select(CertificateRequestRecord).where(
            CertificateRequestRecord.realm == realm,
            CertificateRequestRecord.user_id == user_id)
            .order_by(CertificateRequestRecord.id.desc())))

    # --- certificates (B16) ---------------------------------------------------------------

    def add_certificate(self, **values: Any) -> IssuedCertificateRecord:
        row = IssuedCertificateRecord(**values)
        self._session.add(row)
        self._session.flush()
        return row

    def certificates_of(self, *, realm: str, user_id: str) -> list[IssuedCertificateRecord]:
        return list(self._session.scalars(select(IssuedCertificateRecord).where(
            IssuedCertificateRecord.realm == realm,
            IssuedCertificateRecord.user_id == user_id)
            .order_by(IssuedCertificateRecord.id.desc())))

    def certificate(self, certificate_id: int) -> IssuedCertificateRecord | None:
        return self._session.get(IssuedCertificateRecord, certificate_id)

    def set_status(self, certificate_id: int, *, status: str, expected: str,
                   revoked_at: datetime | None = None, reason: str | None = None,
                   note: str | None = None) -> bool:
        """expected -> status; True for one of concurrent callers."""
        values: dict[str, Any] = {"status": status}
        if revoked_at is not None:
            values.update(revoked_at=revoked_at, revocation_reason=reason)
        if note is not None:
            values["note"] = note
        result = self._session.execute(
            update(IssuedCertificateRecord)
            .where(IssuedCertificateRecord.id == certificate_id,
                   IssuedCertificateRecord.status == expected)
            .values(**values).execution_options(synchronize_session=False))
        changed = bool(getattr(result, "rowcount", 0))
        if changed and status == "revoked":
            SqlSyncMarks(self._session).increment(REVOCATIONS)
        return changed

    def reserve_passphrase_attempt(self, certificate_id: int, limit: int) -> int | None:
        # One conditional UPDATE: the row lock (PostgreSQL) or the write lock (SQLite) lets
        # one attempt at a time count itself, so the check and the count cannot be split.
        return self._session.execute(
            update(IssuedCertificateRecord)
            .where(IssuedCertificateRecord.id == certificate_id,
                   IssuedCertificateRecord.failed_passphrases < limit)
            .values(failed_passphrases=IssuedCertificateRecord.failed_passphrases + 1)
            .returning(IssuedCertificateRecord.failed_passphrases)
            .execution_options(synchronize_session=False)).scalar_one_or_none()

    def give_back_passphrase_attempt(self, certificate_id: int) -> None:
        self._session.execute(
            update(IssuedCertificateRecord)
            .where(IssuedCertificateRecord.id == certificate_id,
                   IssuedCertificateRecord.failed_passphrases > 0)
            .values(failed_passphrases=IssuedCertificateRecord.failed_passphrases - 1)
            .execution_options(synchronize_session=False))

    def reset_wrong_passphrases(self, certificate_id: int) -> None:
        self._session.execute(
            update(IssuedCertificateRecord)
            .where(IssuedCertificateRecord.id == certificate_id)
            .values(failed_passphrases=0).execution_options(synchronize_session=False))

    def replace_pkcs12(self, certificate_id: int, pkcs12: bytes) -> None:
        row = self._session.get(IssuedCertificateRecord, certificate_id)
        if row is not None:
            row.pkcs12 = pkcs12
            row.failed_passphrases = 0
            self._session.flush()

    def pkcs12_of(self, certificate_id: int) -> bytes | None:
        row = self._session.get(IssuedCertificateRecord, certificate_id)
        return None if row is None else bytes(row.pkcs12)

    def status_by_serial(self, serial_number: str) -> CertificateStatus | None:
        # The columns alone: loading the row would decrypt the certificate and the PKCS#12.
        found = self._session.execute(select(*_STATUS_COLUMNS).where(
            IssuedCertificateRecord.serial_number == serial_number)).one_or_none()
        return None if found is None else CertificateStatus(*found)

    def expire_due(self, *, now: datetime) -> list[IssuedCertificateRecord]:
        """Issued certificates past their validity become Expired; returns them."""
        due = list(self._session.scalars(select(IssuedCertificateRecord).where(
            IssuedCertificateRecord.status == "issued",
            IssuedCertificateRecord.not_after <= now)))
        for row in due:
            row.status = "expired"
        self._session.flush()
        return due

    def take_reminders(self, *, now: datetime,
                       window_start: datetime) -> list[IssuedCertificateRecord]:
        """Issued certificates that enter their last 30 days and were not reminded yet;
        marks them reminded."""
        due = list(self._session.scalars(select(IssuedCertificateRecord).where(
            IssuedCertificateRecord.status == "issued",
            IssuedCertificateRecord.reminded_at.is_(None),
            IssuedCertificateRecord.not_after <= window_start,
            IssuedCertificateRecord.not_after > now)))
        for row in due:
            row.reminded_at = now
        self._session.flush()
        return due

    def revocations(self) -> list[CertificateStatus]:
        return [CertificateStatus(*row) for row in self._session.execute(
            select(*_STATUS_COLUMNS).where(IssuedCertificateRecord.status == "revoked"))]

    def revocation_mark(self) -> int:
        return int(self._session.execute(REVOCATION_MARK).scalar() or 0)
