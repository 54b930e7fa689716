"""The sidecar's own database, as services use it: transactions over repositories.

``Store.transaction()`` opens one transaction and hands out the repositories bound to it;
leaving the block commits, an exception rolls back. Whatever the database raises comes out as
:class:`StorageError`, so services never import the SQL layer. Repositories flush and never
commit: the transaction decides, so a business change and its outbox message commit together.

Rows come back as read-only records (the protocols below); change them through repository
methods, which are single conditional statements where concurrent requests could race.
Implementation: adapters/storage (SQLAlchemy on SQLite or PostgreSQL, identifiers encrypted).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from gerbang_sidecar.domain.certificates.service_keys import ServiceKey


class StorageError(Exception):
    """The database failed (unreachable, locked, constraint we did not expect)."""


class UnreadablePayload(Exception):
    """An outbox message's payload cannot be decrypted or parsed (a rotated-out key, a
    damaged row): that message is parked, the others go on."""


class DuplicateIdentifier(Exception):
    """The realm already has this identifier (same kind and value)."""


# --- records --------------------------------------------------------------------------------


class CodeRecord(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def destination(self) -> str: ...
    @property
    def code_hash(self) -> bytes: ...
    @property
    def salt(self) -> bytes: ...
    @property
    def status(self) -> str: ...
    @property
    def max_attempts(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime: ...


class OutboxRecord(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def idempotency_key(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def attempts(self) -> int: ...
    @property
    def next_attempt_at(self) -> datetime: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def sent_at(self) -> datetime | None: ...
    @property
    def handed_over_at(self) -> datetime | None: ...


class OutboxBacklogRecord(Protocol):
    """Unsent messages of one kind in one status, for the metrics (issue 11 item 5)."""

    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def oldest_created_at(self) -> datetime: ...
    @property
    def earliest_next_attempt_at(self) -> datetime: ...


class AuditRecord(Protocol):
    @property
    def event_type(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def realm(self) -> str: ...
    @property
    def actor(self) -> str | None: ...
    @property
    def subject_id(self) -> str | None: ...
    @property
    def details(self) -> dict[str, Any]: ...


class RegistrationRecord(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def realm(self) -> str: ...
    @property
    def registration_type(self) -> str: ...
    @property
    def data(self) -> Any: ...
    @property
    def locale(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def keycloak_user_id(self) -> str | None: ...
    @property
    def activation_email_sent_at(self) -> datetime | None: ...
    @property
    def claimed_at(self) -> datetime | None: ...
    @property
    def scope(self) -> str | None: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def look_again_at(self) -> datetime | None: ...
    @property
    def spare_ends_at(self) -> datetime | None: ...


class ResetRequestRecord(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def realm(self) -> str: ...
    @property
    def identifier(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def locale(self) -> str: ...
    @property
    def last_sent_at(self) -> datetime: ...
    @property
    def sends(self) -> int: ...


class ResetLinkRecord(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def realm(self) -> str: ...
    @property
    def user_id(self) -> str: ...
    @property
    def locale(self) -> str: ...


# --- repositories ---------------------------------------------------------------------------


class IdentityRecordView(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...


class IdentityRecords(Protocol):
    """Personal identifiers claimed in a realm, findable by blind index (X3)."""

    def add(self, *, realm: str, kind: str, value: str, created_at: datetime,
            subject_id: str | None = None) -> None:
        """DuplicateIdentifier when the realm has it already (the transaction stays usable)."""

    def add_all(self, *, realm: str, pairs: Sequence[tuple[str, str]], created_at: datetime,
                subject_id: str) -> None:
        """Claim every (kind, value) for one account at once; DuplicateIdentifier (and
        nothing claimed) when another account holds any of them. Pairs this account holds
        already (the identity index may have recorded it first) are kept."""

    def exists(self, *, realm: str, kind: str, value: str) -> bool: ...

    def of_subject(self, *, realm: str, subject_id: str) -> Sequence[IdentityRecordView]:
        """The identifiers recorded for one account (X10)."""

    def owners(self, *, realm: str, pairs: Sequence[tuple[str, str]]) -> set[str]:
        """The accounts (subject ids) that claimed any (kind, value) of ``pairs``."""

    def hold_all(self, *, realm: str, accounts: Mapping[str, Sequence[tuple[str, str]]],
                 created_at: datetime) -> list[str]:
        """Make each account's records exactly its (kind, value) pairs: its other records
        go, missing ones are added. Returns the kinds not held because another account holds
        them (nothing raised: the accounts exist in Keycloak whatever the index says)."""

    def release_all(self, *, realm: str, subject_ids: Collection[str]) -> int:
        """Drop every record of the accounts that are gone -- one statement per few hundred
        accounts, not one each; returns how many records went."""

    def subjects(self, *, realm: str) -> set[str]:
        """Every account holding a record in ``realm``."""


class SyncMarks(Protocol):
    """Numbers every process reads alike: how far an outside feed has been read."""

    def get(self, name: str) -> int | None: ...

    def advance(self, name: str, value: int) -> None:
        """Move the mark to ``value`` unless it is already further."""

    def hold(self, name: str) -> None:
        """Lock the mark ``name`` (made when missing) until the transaction ends: work that
        holds it runs one process at a time."""


class AuditTrail(Protocol):
    """Append-only (X4): there is no way to change or remove an event."""

    def record(self, *, realm: str, event_type: str, occurred_at: datetime,
               actor: str | None = None, subject_id: str | None = None,
               details: dict[str, Any] | None = None) -> None: ...

    def last_occurred(self, *, realm: str, event_type: str,
                      subject_id: str) -> datetime | None: ...

    def of_subject(self, subject_id: str) -> Sequence[AuditRecord]: ...


class OutboxQueue(Protocol):
    def enqueue(self, *, kind: str, payload: dict[str, Any], idempotency_key: str,
                now: datetime, not_before: datetime | None = None) -> bool:
        """Add a message unless one with this idempotency key exists. True when added."""

    def get(self, idempotency_key: str) -> OutboxRecord | None: ...

    def claim(self, *, token: str, kinds: Sequence[str], now: datetime, lease_until: datetime,
              limit: int) -> list[OutboxRecord]:
        """Move up to ``limit`` due messages of ``kinds`` to in_flight under ``token``; two
        workers never claim the same message. Payloads are not read here (``payload``)."""

    def hand_over(self, message_id: int, *, token: str, now: datetime) -> dict[str, Any]:
        """One claimed message's payload, its hand-over to the handler recorded (only for
        the claim's holder); UnreadablePayload when it cannot be decrypted or parsed."""

    def finish(self, *, message_id: int, token: str, status: str, error: str | None,
               now: datetime, next_attempt_at: datetime | None = None) -> bool:
        """Record the outcome of a claimed message; False when the claim was lost."""

    def expired_claims(self, *, kinds: Sequence[str], now: datetime) -> list[OutboxRecord]:
        """In-flight messages whose lease ran out (their worker died), locked for this
        transaction."""

    def release_expired(self, message_id: int, *, status: str, now: datetime,
                        error: str | None) -> None:
        """Settle an expired claim: back to pending, or dead with ``error``."""

    def backlog(self) -> list[OutboxBacklogRecord]:
        """Messages not sent (pending, in_flight, dead), counted by status and kind."""


class OneTimeCodes(Protocol):
    def latest(self, *, purpose: str, realm: str, subject: str) -> CodeRecord | None:
        """The newest code of the subject, whatever its status (it tells why none is usable)."""

    def issued_since(self, *, purpose: str, realm: str, subject: str,
                     since: datetime) -> list[datetime]: ...

    def replace_active(self, *, purpose: str, realm: str, subject: str, channel: str,
                       destination: str, code_hash: bytes, salt: bytes, max_attempts: int,
                       now: datetime, expires_at: datetime) -> CodeRecord | None:
        """Supersede the subject's active code and add this one; None when a concurrent
        request added one a moment ago."""

    def take_attempt(self, code_id: int, now: datetime) -> int | None:
        """Atomically spend one attempt on a usable code; the attempts used so far, or None
        when the code is no longer usable."""

    def resolve(self, code_id: int, status: str, now: datetime) -> bool:
        """Move an active code to a final status; False if something else did first."""

    def never_sent(self, code_id: int) -> bool: ...

    def reopen(self, code_id: int) -> bool:
        """A verified code active again, the attempt that proved it given back (what it
        proved could not be recorded); False when a newer code is active."""

    def status_of(self, code_id: int) -> str | None: ...


class DocumentRecord(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def media_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def content(self) -> bytes: ...
    @property
    def created_at(self) -> datetime: ...


class Registrations(Protocol):
    """Self-registrations of every portal (AKSes A5, OSS O1-O5); status changes are single
    conditional updates."""

    def add(self, *, token_hash: bytes, realm: str, registration_type: str,
            data: dict[str, Any], locale: str, now: datetime, scope: str | None = None,
            expires_at: datetime | None = None,
            searchable: dict[str, str] | None = None) -> RegistrationRecord: ...

    def by_token_hash(self, token_hash: bytes) -> RegistrationRecord | None: ...

    def get(self, registration_id: int) -> RegistrationRecord | None: ...

    def accept(self, token_hash: bytes, *, realm: str, now: datetime,
               pending_since: datetime) -> bool:
        """pending -> activating, for a registration of ``realm`` only; True for exactly one
        of concurrent callers."""

    def mark_activated(self, registration_id: int, *, keycloak_user_id: str, now: datetime,
                       data: dict[str, Any]) -> bool: ...

    def mark_declined(self, registration_id: int, *, data: dict[str, Any]) -> bool: ...

    def claim_email_send(self, registration_id: int, *, now: datetime,
                         last_sent_before: datetime) -> bool: ...

    def purge_pending(self, *, created_before: datetime) -> int: ...

    def account_ids(self, *, realm: str) -> set[str]: ...

    def of_account(self, *, realm: str, keycloak_user_id: str
                   ) -> Sequence[RegistrationRecord]: ...

    def documents(self, registration_id: int) -> Sequence[DocumentRecord]: ...

    def forget_accounts(self, *, realm: str, keycloak_user_ids: Collection[str]) -> int:
        """Delete the registrations (and documents) of accounts that no longer exist."""

    def activated_made_between(self, *, realm: str, after: datetime, until: datetime,
                               limit: int) -> Sequence[RegistrationRecord]:
        """Activated registrations of ``realm`` whose form came in after ``after`` and no
        later than ``until``, oldest first: ``limit`` of them and any others made at the
        same moment as the last (a reader continuing after that moment skips none)."""

    def due_to_look_again(self, *, realm: str, now: datetime,
                          limit: int) -> Sequence[RegistrationRecord]:
        """Activated registrations of ``realm`` whose ``look_again_at`` has come, soonest
        first (X10: accounts the sweep spared for a while)."""

    def look_again(self, registration_id: int, at: datetime | None, *,
                   spare_ends_at: datetime | None) -> None:
        """When the sweep looks at the registration again, and until when it may be spared
        (None, None: looked at for good)."""

    def delete_in_review(self, registration_id: int) -> bool: ...

    def set_pending_data(self, registration_id: int, *, data: dict[str, Any]) -> bool: ...

    def submit_for_review(self, registration_id: int, *, now: datetime) -> bool: ...

    def put_document(self, registration_id: int, *, kind: str, media_type: str,
                     content: bytes, now: datetime) -> None: ...

    def document(self, registration_id: int, kind: str) -> DocumentRecord | None: ...

    def waiting_for_review(self, realm: str) -> Sequence[RegistrationRecord]: ...

    def decide_review(self, registration_id: int, *, approved: bool,
                      data: dict[str, Any]) -> bool: ...

    def renew_link(self, registration_id: int, *, token_hash: bytes, now: datetime,
                   expires_at: datetime) -> bool:
        """B1: a new token for a pending row whose link expired; one of concurrent wins."""

    def in_scope(self, *, realm: str, scope: str | None, statuses: Sequence[str],
                 expired: bool | None, now: datetime, offset: int, limit: int,
                 lookup: tuple[str, str] | None = None
                 ) -> tuple[list[RegistrationRecord], int]:
        """A page of rows of one instansi (None: all), newest first, and the total;
        ``lookup`` ("nik" or "email", value): only the rows invited with it."""


class PasswordResets(Protocol):
    """Forgot-password requests (A7) and the single-use links sent by SMS."""

    def purge_requests(self, *, created_before: datetime) -> None: ...

    def add_request(self, *, token_hash: bytes, realm: str, identifier: str, channel: str,
                    locale: str, now: datetime) -> int: ...

    def request(self, request_id: int) -> ResetRequestRecord | None: ...

    def live_request(self, token_hash: bytes, *,
                     created_after: datetime) -> ResetRequestRecord | None: ...

    def count_send(self, request_id: int, *, now: datetime, last_sent_before: datetime) -> bool:
        """Record one more send unless the last one is newer than ``last_sent_before``."""

    def add_link(self, *, token_hash: bytes, realm: str, user_id: str, locale: str,
                 now: datetime, expires_at: datetime) -> int: ...

    def usable_link(self, token_hash: bytes, *, now: datetime) -> ResetLinkRecord | None: ...

    def use_link(self, link_id: int, *, now: datetime) -> bool:
        """Mark the link used; False when it already was (one of two submissions wins)."""

    def give_back_link(self, link_id: int) -> None: ...

    def use_all_links(self, *, realm: str, user_id: str, now: datetime) -> None: ...


class RateLimitCounters(Protocol):
    def hit(self, *, bucket: str, window_start: int, forget_before: int, by: int = 1) -> int:
        """Count ``by`` hits in the window (negative: give some back); its hits so far.
        Windows that started before ``forget_before`` are deleted as new ones open."""


class SpentPuzzles(Protocol):
    def spend(self, *, puzzle_id: str, expires_at: datetime) -> bool:
        """True the first time a puzzle is spent, False ever after (until purged)."""

    def purge(self, *, before: datetime) -> int: ...


class IssuedUsernames(Protocol):
    def issue(self, *, realm: str, registration_id: int, now: datetime,
              name_for: Callable[[int], str]) -> str:
        """A never reused sequence number, made a username by ``name_for``; the same name
        again for the same registration."""


class PortalSessionRecord(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def realm(self) -> str: ...
    @property
    def client_id(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def keycloak_session(self) -> str | None: ...
    @property
    def data(self) -> Any: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def checked_at(self) -> datetime: ...


class PortalSessions(Protocol):
    """Logins to the sidecar's portal pages (X9), found by the hash of the cookie's key."""

    def add(self, *, key_hash: bytes, realm: str, client_id: str, subject: str,
            keycloak_session: str | None, data: dict[str, Any], now: datetime,
            expires_at: datetime) -> None: ...

    def by_key_hash(self, key_hash: bytes) -> PortalSessionRecord | None: ...

    def of_subject(self, *, realm: str, subject: str) -> Sequence[PortalSessionRecord]: ...

    def set_data(self, session_id: int, data: dict[str, Any]) -> None: ...

    def mark_checked(self, session_id: int, *, now: datetime) -> None: ...

    def end(self, session_id: int) -> None: ...

    def end_all(self, *, realm: str, subject: str) -> int:
        """Every login of one account, wherever its cookies are."""

    def purge_expired(self, *, now: datetime) -> int: ...


class IdentityCheckRecord(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def user_id(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def locale(self) -> str: ...
    @property
    def attempts(self) -> int: ...


class IdentityChecks(Protocol):
    """ "Pengecekan Data Diri" links (B9): single use, expiring, attempts counted."""

    def add(self, *, token_hash: bytes, realm: str, user_id: str, purpose: str, locale: str,
            now: datetime, expires_at: datetime) -> IdentityCheckRecord:
        """A new link; the user's unused links of the same purpose stop working (each one
        brought its own selfie attempts: one live link at a time)."""

    def usable(self, token_hash: bytes, *, now: datetime,
               max_attempts: int) -> IdentityCheckRecord | None: ...

    def take_attempt(self, check_id: int, *, max_attempts: int) -> bool: ...

    def give_back_attempt(self, check_id: int) -> None:
        """Uncount a taken attempt whose selfie was never judged (the registry was down)."""

    def use(self, check_id: int, *, now: datetime) -> bool: ...

    def give_back(self, check_id: int) -> None:
        """Usable again: what the use was for failed (Keycloak down)."""


class AccountRequestRecord(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def user_id(self) -> str: ...
    @property
    def scope(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def data(self) -> Any: ...
    @property
    def requested_by(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def decided_at(self) -> datetime | None: ...


class AccountRequests(Protocol):
    """Requests about existing accounts an officer decides (B11, B13)."""

    def add(self, *, realm: str, user_id: str, scope: str | None, kind: str,
            data: dict[str, Any], requested_by: str,
            now: datetime) -> AccountRequestRecord: ...

    def get(self, request_id: int) -> AccountRequestRecord | None: ...

    def put_document(self, request_id: int, *, kind: str, media_type: str, content: bytes,
                     now: datetime) -> None: ...

    def document(self, request_id: int, kind: str) -> DocumentRecord | None: ...

    def pending_of(self, *, realm: str, user_id: str) -> list[AccountRequestRecord]: ...

    def of_user(self, *, realm: str, user_id: str) -> list[AccountRequestRecord]: ...

    def pending_in_scope(self, *, realm: str, scope: str | None, kinds: Sequence[str],
                         offset: int, limit: int) -> tuple[list[AccountRequestRecord], int]: ...

    def decide(self, request_id: int, *, status: str, by: str, now: datetime) -> bool:
        """pending -> ``status``; one of concurrent deciders wins."""


class CertificateAuthorityRow(Protocol):
    @property
    def root_certificate(self) -> bytes: ...
    @property
    def root_key(self) -> bytes: ...
    @property
    def issuing_certificate(self) -> bytes: ...
    @property
    def issuing_key(self) -> bytes: ...
    @property
    def responder_certificate(self) -> bytes: ...
    @property
    def responder_key(self) -> bytes: ...
    @property
    def tsa_certificate(self) -> bytes | None: ...
    @property
    def tsa_key(self) -> bytes | None: ...


class CertificateRow(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def user_id(self) -> str: ...
    @property
    def serial_number(self) -> str: ...
    @property
    def product(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def common_name(self) -> str: ...
    @property
    def enroll_method(self) -> str: ...
    @property
    def note(self) -> str: ...
    @property
    def not_before(self) -> datetime: ...
    @property
    def not_after(self) -> datetime: ...
    @property
    def certificate(self) -> bytes: ...
    @property
    def revoked_at(self) -> datetime | None: ...
    @property
    def revocation_reason(self) -> str | None: ...
    @property
    def failed_passphrases(self) -> int: ...


class CertificateRequestRow(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def user_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def product(self) -> str: ...
    @property
    def verification(self) -> str: ...
    @property
    def enrollment(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def selfie_checked_at(self) -> datetime | None: ...
    @property
    def certificate_id(self) -> int | None: ...


@dataclass(frozen=True)
class CertificateStatus:
    """What the CRL and the OCSP responder need of a certificate, and nothing encrypted."""

    serial_number: str
    status: str
    revoked_at: datetime | None
    revocation_reason: str | None


class Certificates(Protocol):
    """The CA hierarchy, subscriber certificates and requests (issue 12)."""

    def authority(self) -> CertificateAuthorityRow | None: ...

    def add_authority(self, *, root_certificate: bytes, root_key: bytes,
                      issuing_certificate: bytes, issuing_key: bytes,
                      responder_certificate: bytes, responder_key: bytes,
                      now: datetime, tsa_certificate: bytes | None = None,
                      tsa_key: bytes | None = None) -> None: ...

    def add_timestamping(self, *, tsa_certificate: bytes, tsa_key: bytes) -> bool:
        """Give the hierarchy its time-stamping authority; False if it has one already (a
        concurrent ``ca-init`` or signature won)."""

    def replace_service_key(self, service: ServiceKey, *, old_certificate: bytes,
                            certificate: bytes, key: bytes) -> bool:
        """The responder's or the TSA's new certificate and key in place of ``old_certificate``
        and its key (dropped); False if the stored one is not ``old_certificate`` any more (a
        concurrent renewal won)."""

    def add_request(self, **values: Any) -> CertificateRequestRow: ...

    def request_by_token(self, token_hash: bytes, *,
                         now: datetime) -> CertificateRequestRow | None: ...

    def selfie_checked(self, request_id: int, *, now: datetime) -> None: ...

    def complete(self, request_id: int, *, certificate_id: int | None, enrollment: str,
                 detail: str = "") -> bool: ...

    def requests_of(self, *, realm: str, user_id: str) -> list[CertificateRequestRow]: ...

    def add_certificate(self, **values: Any) -> CertificateRow: ...

    def certificates_of(self, *, realm: str, user_id: str) -> list[CertificateRow]: ...

    def certificate(self, certificate_id: int) -> CertificateRow | None: ...

    def set_status(self, certificate_id: int, *, status: str, expected: str,
                   revoked_at: datetime | None = None, reason: str | None = None,
                   note: str | None = None) -> bool:
        """expected -> status; one of concurrent callers wins."""

    def reserve_passphrase_attempt(self, certificate_id: int, limit: int) -> int | None:
        """Count an attempt before its passphrase is tried: the attempts in a row now, or
        None when ``limit`` are counted already (locked). Atomic: however many arrive at
        once, no more than ``limit`` passphrases are tried between two right ones."""

    def give_back_passphrase_attempt(self, certificate_id: int) -> None:
        """Uncount a reserved attempt that never got to try its passphrase."""

    def reset_wrong_passphrases(self, certificate_id: int) -> None: ...

    def replace_pkcs12(self, certificate_id: int, pkcs12: bytes) -> None:
        """The key sealed under a new passphrase; the count of wrong ones starts again."""

    def pkcs12_of(self, certificate_id: int) -> bytes | None: ...

    def status_by_serial(self, serial_number: str) -> CertificateStatus | None: ...

    def expire_due(self, *, now: datetime) -> list[CertificateRow]: ...

    def take_reminders(self, *, now: datetime,
                       window_start: datetime) -> list[CertificateRow]: ...

    def revocations(self) -> list[CertificateStatus]:
        """Every revoked certificate: the CRL's entries."""
        ...

    def revocation_mark(self) -> int:
        """How many revocations were ever recorded: changes with every revocation, whichever
        process made it, and costs one row to read."""
        ...


class Transaction(Protocol):
    @property
    def identities(self) -> IdentityRecords: ...
    @property
    def audit(self) -> AuditTrail: ...
    @property
    def outbox(self) -> OutboxQueue: ...
    @property
    def codes(self) -> OneTimeCodes: ...
    @property
    def registrations(self) -> Registrations: ...
    @property
    def password_resets(self) -> PasswordResets: ...
    @property
    def rate_limits(self) -> RateLimitCounters: ...
    @property
    def portal_sessions(self) -> PortalSessions: ...
    @property
    def spent_puzzles(self) -> SpentPuzzles: ...
    @property
    def issued_usernames(self) -> IssuedUsernames: ...
    @property
    def identity_checks(self) -> IdentityChecks: ...
    @property
    def account_requests(self) -> AccountRequests: ...
    @property
    def certificates(self) -> Certificates: ...
    @property
    def sync_marks(self) -> SyncMarks: ...


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[Transaction]:
        """One transaction: committed when the block ends, rolled back on an exception."""
        ...

    def ping(self) -> bool: ...
