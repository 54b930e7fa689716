"""Tables of the sidecar's own database. Schema changes go through migrations/, never
``create_all``; tests check that these models and the migrations agree."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gerbang_sidecar.adapters.storage.types import (
    EncryptedBytes,
    EncryptedJSON,
    EncryptedString,
    UTCDateTime,
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
Id = BigInteger().with_variant(Integer(), "sqlite")

IDENTIFIER_KINDS = ("nik", "passport", "sid", "phone", "email", "nip", "nrp")
CODE_STATUSES = ("active", "verified", "superseded", "locked", "expired")
OUTBOX_STATUSES = ("pending", "in_flight", "sent", "dead")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class IdentityRecord(Base):
    """A personal identifier claimed in a realm, encrypted, findable by its blind index.

    The unique (realm, kind, blind_index) lets registration refuse a second account with the
    same NIK / SID / passport / email without ever decrypting a row.
    """

    __tablename__ = "identity_records"
    __table_args__ = (
        UniqueConstraint("realm", "kind", "blind_index"),
        CheckConstraint(_in("kind", IDENTIFIER_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    realm: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(
        "value_encrypted", EncryptedString("identity_records.value")
    )
    blind_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    # Keycloak user id; empty until the Keycloak account exists.
    subject_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]


class OneTimeCode(Base):
    """A short code sent to prove an email (A6) or a mobile number (B2). Only its HMAC is kept.

    `subject` is an opaque key of who asked (Keycloak user id or wizard session id), never an
    email or a phone number -- those are personal data and live encrypted in `destination`.
    """

    __tablename__ = "one_time_codes"
    __table_args__ = (
        CheckConstraint(_in("status", CODE_STATUSES), name="status"),
        Index("ix_one_time_codes_lookup", "purpose", "realm", "subject", "created_at"),
        # At most one usable code per subject and purpose: a new code supersedes the old one,
        # and two racing requests cannot both leave an active code behind.
        Index(
            "uq_one_time_codes_one_active",
            "purpose",
            "realm",
            "subject",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    realm: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(
        "destination_encrypted", EncryptedString("one_time_codes.destination")
    )
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A side effect to perform after the business change commits (mail, WhatsApp, Keycloak).

    The payload is encrypted (it may hold a code or an address) and erased once sent.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_claim_token", "claim_token"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[Any] = mapped_column(
        "payload_encrypted", EncryptedJSON("outbox_messages.payload"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claim_token: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    claim_expires_at: Mapped[datetime | None]
    # When the claim's holder gave it to the handler: an expired claim without it was never
    # started, so delivering it again cannot send twice.
    handed_over_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))


class AuditEvent(Base):
    """Append-only trail (X4): consents, verifications, OTP device and certificate events.

    Rows are never updated or deleted: the ORM refuses it (see engine.py) and database
    triggers refuse it too. `details` must hold no personal identifier (ids of our rows,
    outcomes, reasons -- not a NIK or a phone number).
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    occurred_at: Mapped[datetime]
    realm: Mapped[str] = mapped_column(String(32))
    event_type: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RateLimitWindow(Base):
    """Hits of one client on one public endpoint within a fixed time window (X2).

    Kept in the database rather than in memory so every gunicorn worker (and every host)
    counts against the same limit. `bucket` is a keyed hash of endpoint and client address,
    never the address itself; old windows are pruned as new ones open.
    """

    __tablename__ = "rate_limit_windows"
    __table_args__ = (Index("ix_rate_limit_windows_window_start", "window_start"),)

    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


# AKSes (A1) and OSS (O1) registration types; a portal's types are its own domain's.
REGISTRATION_TYPES = ("individu-lokal", "individu-asing", "institusi", "ktp", "paspor",
                      "organisasi", "undangan")
REGISTRATION_STATUSES = ("pending_confirmation", "activating", "activated", "declined",
                         "in_review", "rejected")


class Registration(Base):
    """A self-registration on a portal's sidecar pages (AKSes A5, OSS O1-O5) between the
    form and the account.

    Found by the SHA-256 of an opaque random token that travels in the confirmation and
    thank-you URLs; the token itself is never stored, so a database leak does not hand out
    the pages (or the data behind them). The typed and normalised data are encrypted (X3).
    Its states are domain/registration_lifecycle.py's; ``claimed_at`` is when the
    registration was accepted (AKSes "Aktivasi", OSS "Submit").
    """

    __tablename__ = "registrations"
    __table_args__ = (
        CheckConstraint(_in("registration_type", REGISTRATION_TYPES),
                        name="registration_type"),
        CheckConstraint(_in("status", REGISTRATION_STATUSES), name="status"),
        Index("ix_registrations_status_created_at", "status", "created_at"),
        Index("ix_registrations_realm_scope_status", "realm", "scope", "status"),
        Index("ix_registrations_look_again_at", "look_again_at"),
        # Outbox messages and audit events name rows by id: SQLite must not reuse one.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    realm: Mapped[str] = mapped_column(String(32))
    registration_type: Mapped[str] = mapped_column(String(16))
    # The encryption's associated data keeps the table's first name: rows written before
    # the rename stay readable without re-encrypting them.
    data: Mapped[Any] = mapped_column(
        "data_encrypted", EncryptedJSON("akses_registrations.data"), nullable=False
    )
    locale: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(24), default="pending_confirmation")
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    keycloak_user_id: Mapped[str | None] = mapped_column(String(64))
    activation_email_sent_at: Mapped[datetime | None]
    # BSrE (B1): the instansi whose Verifikator may see the registration (not personal), and
    # when the emailed activation link stops working. Rows with an expiry outlive it: the
    # verifier sees "expired" and sends a new link.
    scope: Mapped[str | None] = mapped_column(String(255))
    expires_at: Mapped[datetime | None]
    # X10: when the sweep of unactivated accounts looks again at one it spared (its owner had
    # just asked for a password link), and until when links may spare it; None once looked at
    # for good.
    look_again_at: Mapped[datetime | None]
    spare_ends_at: Mapped[datetime | None]
    # Blind indexes of the invited NIK and email: a verifier finds one row among thousands
    # without the data being decrypted (or stored in the clear).
    nik_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)
    email_index: Mapped[bytes | None] = mapped_column(LargeBinary(32), index=True)


class PasswordResetRequest(Base):
    """A forgot-password request (A7) between "Proses" and the worker that acts on it.

    X1: the web request stores this row and an outbox job naming only its id, whatever was
    typed; the worker looks the identifier up later. The typed identifier is encrypted (X3)
    and the row is found from the thank-you page by the SHA-256 of an opaque token (never
    stored). Rows are deleted a day after they were made.
    """

    __tablename__ = "password_reset_requests"
    __table_args__ = (
        CheckConstraint(_in("channel", ("email", "sms")), name="channel"),
        Index("ix_password_reset_requests_created_at", "created_at"),
        {"sqlite_autoincrement": True},  # as registrations: outbox keys name the id
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    realm: Mapped[str] = mapped_column(String(32))
    identifier: Mapped[str] = mapped_column(
        "identifier_encrypted", EncryptedString("password_reset_requests.identifier"))
    channel: Mapped[str] = mapped_column(String(8))
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    last_sent_at: Mapped[datetime]
    sends: Mapped[int] = mapped_column(Integer, default=1)


class PasswordResetLink(Base):
    """A set-password link sent by SMS (A7): single use, 15 minutes, only its hash kept."""

    __tablename__ = "password_reset_links"
    __table_args__ = (Index("ix_password_reset_links_user", "realm", "user_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    realm: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class PortalSession(Base):
    """A login to a portal's sidecar pages (X9), held here rather than in the cookie.

    The browser's signed cookie carries only a random key; its SHA-256 finds the row. Ending
    the row (logout, a password reset, Keycloak's session gone, the account disabled) ends
    the login for every copy of that cookie. Name, email and the ID token are encrypted (X3).
    """

    __tablename__ = "portal_sessions"
    __table_args__ = (
        Index("ix_portal_sessions_subject", "realm", "subject"),
        Index("ix_portal_sessions_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    realm: Mapped[str] = mapped_column(String(32))
    client_id: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))
    # Keycloak's session id (the ID token's "sid"): checked against Keycloak's live sessions.
    keycloak_session: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[Any] = mapped_column(
        "data_encrypted", EncryptedJSON("portal_sessions.data"), nullable=False
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    checked_at: Mapped[datetime]


class SpentPuzzle(Base):
    """A captcha puzzle already solved once (O2, O3): a second use of it is a replay.

    Kept until the puzzle would have expired anyway, then purged by the housekeeping.
    """

    __tablename__ = "spent_puzzles"
    __table_args__ = (Index("ix_spent_puzzles_expires_at", "expires_at"),)

    puzzle_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]


class RegistrationDocument(Base):
    """A document uploaded with a registration (INSW's Surat Kuasa, I3), encrypted (X3).

    Deleted with its registration; one per registration and kind (a new upload replaces it).
    """

    __tablename__ = "registration_documents"
    __table_args__ = (UniqueConstraint("registration_id", "kind"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        Id, ForeignKey("registrations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(
        "content_encrypted", EncryptedBytes("registration_documents.content"), nullable=False)
    created_at: Mapped[datetime]


class IdentityCheck(Base):
    """A "Pengecekan Data Diri" link (B9, B11): a selfie re-check of an existing account before
    something is given back to it (a new OTP device). Single use, short-lived, attempts
    counted; only the token's SHA-256 is kept."""

    __tablename__ = "identity_checks"
    __table_args__ = (Index("ix_identity_checks_user", "realm", "user_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    realm: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None]


ACCOUNT_REQUEST_KINDS = ("reset_authenticator", "change_email", "change_jabatan",
                         "change_unit_organisasi", "change_phone", "change_nip")
ACCOUNT_REQUEST_STATUSES = ("pending", "approved", "rejected", "withdrawn")


class AccountRequest(Base):
    """A request about an existing BSrE account that an officer decides (B11 reset
    authenticator, B13 profile changes). ``scope`` is the account's instansi when the request
    was made (not personal); ``data`` (the new values, the reason) is encrypted (X3)."""

    __tablename__ = "account_requests"
    __table_args__ = (
        CheckConstraint(_in("kind", ACCOUNT_REQUEST_KINDS), name="kind"),
        CheckConstraint(_in("status", ACCOUNT_REQUEST_STATUSES), name="status"),
        Index("ix_account_requests_scope_status", "realm", "scope", "status"),
        Index("ix_account_requests_user", "realm", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    realm: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    data: Mapped[Any] = mapped_column(
        "data_encrypted", EncryptedJSON("account_requests.data"), nullable=False)
    requested_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]


class AccountRequestDocument(Base):
    """A document of an account request (B11's three uploads), encrypted (X3)."""

    __tablename__ = "account_request_documents"
    __table_args__ = (UniqueConstraint("request_id", "kind"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        Id, ForeignKey("account_requests.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(
        "content_encrypted", EncryptedBytes("account_request_documents.content"), nullable=False)
    created_at: Mapped[datetime]


class CertificateAuthorityRecord(Base):
    """The environment's CA hierarchy (issue 12): certificates in PEM, keys PKCS#8-encrypted
    under GERBANG_CA_KEK; one row, made once by ``python -m gerbang_sidecar ca-init``."""

    __tablename__ = "certificate_authorities"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    root_certificate: Mapped[bytes] = mapped_column(LargeBinary)
    root_key: Mapped[bytes] = mapped_column(LargeBinary)
    issuing_certificate: Mapped[bytes] = mapped_column(LargeBinary)
    issuing_key: Mapped[bytes] = mapped_column(LargeBinary)
    responder_certificate: Mapped[bytes] = mapped_column(LargeBinary)
    responder_key: Mapped[bytes] = mapped_column(LargeBinary)
    # The time-stamping authority (migration 0015; filled by ca-init for older rows).
    tsa_certificate: Mapped[bytes | None] = mapped_column(LargeBinary)
    tsa_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


CERTIFICATE_STATUSES = ("issued", "renewed", "revoked", "expired")
CERTIFICATE_REQUEST_KINDS = ("issue", "renew", "revoke", "reset")


class IssuedCertificateRecord(Base):
    """A subscriber certificate (B16) and its PKCS#12: the key inside is encrypted with the
    holder's passphrase, the blob again at rest (X3)."""

    __tablename__ = "certificates"
    __table_args__ = (
        CheckConstraint(_in("status", CERTIFICATE_STATUSES), name="status"),
        Index("ix_certificates_user", "realm", "user_id"),
        Index("ix_certificates_status_revoked", "status", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    realm: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(64))
    serial_number: Mapped[str] = mapped_column(String(64), unique=True)  # hex
    product: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="issued")
    enroll_method: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(255), default="")
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    # DER; its subject carries the NIK (serialNumber PNOID-<NIK>), so encrypted at rest (X3).
    certificate: Mapped[bytes] = mapped_column(
        "certificate_encrypted", EncryptedBytes("certificates.certificate"), nullable=False)
    pkcs12: Mapped[bytes] = mapped_column(
        "pkcs12_encrypted", EncryptedBytes("certificates.pkcs12"), nullable=False)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(String(32))
    # Wrong passphrases in a row (X7, B22): at 5 the certificate is locked until a reset.
    failed_passphrases: Mapped[int] = mapped_column(Integer, default=0)
    # When the H-30 reminder went out (item 10): one per certificate.
    reminded_at: Mapped[datetime | None]

    @property
    def common_name(self) -> str:
        """The holder's name (eSign) or the organisation's (eSeal), read from the encrypted
        certificate: a copy in a column of its own would be the name in the clear (X3)."""
        names = x509.load_der_x509_certificate(self.certificate).subject \
            .get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else ""


class CertificateRequestRecord(Base):
    """B15 "Status Permohonan": one request (issue, renew, revoke), its verification and
    enrollment status; an issue request carries the "Set Passphrase" link (only its hash)."""

    __tablename__ = "certificate_requests"
    __table_args__ = (
        CheckConstraint(_in("kind", CERTIFICATE_REQUEST_KINDS), name="kind"),
        Index("ix_certificate_requests_user", "realm", "user_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    realm: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    product: Mapped[str] = mapped_column(String(16))
    verification: Mapped[str] = mapped_column(String(16))  # Approved, Pending, Rejected
    enrollment: Mapped[str] = mapped_column(String(16))  # Waiting, Success, Failed
    detail: Mapped[str] = mapped_column(String(255), default="")
    token_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    link_expires_at: Mapped[datetime | None]
    selfie_checked_at: Mapped[datetime | None]
    certificate_id: Mapped[int | None] = mapped_column(Id)
    created_at: Mapped[datetime]


class IssuedUsername(Base):
    """A username the sidecar gave out (INSW, I4): its id is the sequence number inside the
    username, so numbers are never reused and concurrent approvals cannot collide."""

    __tablename__ = "issued_usernames"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    realm: Mapped[str] = mapped_column(String(32))
    registration_id: Mapped[int] = mapped_column(Id, unique=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime]


class SyncMark(Base):
    """A number every process reads alike: how far an outside feed has been read (issue 11:
    Keycloak's admin events per realm, for the identity index), or how many times something
    happened that caches depend on (issue 12: revocations, for the CRL and OCSP)."""

    __tablename__ = "sync_marks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
