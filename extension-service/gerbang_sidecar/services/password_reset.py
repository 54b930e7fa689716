"""Forgot password (A7, C1, C4, X1): request, resend, the worker's lookup, SMS links.

X1 -- the answer, status and timing must not tell whether the identifier names an account.
So the web request never asks Keycloak anything: :meth:`PasswordResetService.request` stores
the typed identifier (encrypted) and enqueues an outbox job carrying only the row's id; the
work is the same for any input. The outbox worker later runs :meth:`process`, which looks the
identifier up and either does nothing (unknown, disabled, ambiguous, no address to send to)
or sends:

* by email: Keycloak's ``UPDATE_PASSWORD`` execute-actions email; the user sets the password
  on Keycloak's themed page (C1 enforced there) and Keycloak's ``email`` event listener sends
  the change notification (C4);
* by SMS, only when the account has a verified mobile number (otherwise silently by email):
  a link to the sidecar's set-password page, signed, single use and valid 15 minutes, of
  which only the SHA-256 is stored. The password goes to Keycloak through the admin API,
  which raises no user event, so the sidecar sends the C4 notification itself.

Logs carry our row ids and outcomes, never the identifier or the user's addresses (X3).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from gerbang_sidecar.adapters.keycloak.port import (
    KeycloakError,
    KeycloakUsers,
    PasswordRejected,
    UserRecord,
)
from gerbang_sidecar.adapters.storage.models import PasswordResetLink, PasswordResetRequest
from gerbang_sidecar.adapters.storage.repositories import AuditLog, Outbox
from gerbang_sidecar.domain.account_recovery import lookups_for
from gerbang_sidecar.domain.throttle import TooEarly, seconds_until

# Audit event of every reset link sent; also what the per-account resend throttle reads.
AUDIT_LINK_SENT = "a7_reset_link_sent"

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Channel = Literal["email", "sms"]
CHANNELS: tuple[Channel, ...] = ("email", "sms")

OUTBOX_REQUESTED = "password_reset.requested"
OUTBOX_SMS_LINK = "password_reset.sms_link"
OUTBOX_PASSWORD_CHANGED = "password_changed.notice"  # noqa: S105 (an outbox kind)
_LINK_SALT = "gerbang.password-reset-link"


@dataclass(frozen=True)
class PasswordResetSettings:
    public_url: str  # SIDECAR_PUBLIC_URL: the SMS link and Keycloak's "back" link point here
    realm: str = "akses"
    client_id: str = "akses-portal"
    portal_path: str = "akses"
    # A7 links live 15 minutes, the time after which "Kirim Ulang" becomes available (C2).
    link_lifetime: timedelta = timedelta(minutes=15)
    resend_after: timedelta = timedelta(minutes=15)
    # The typed identifier is personal data: the request row is deleted after a day.
    request_lifetime: timedelta = timedelta(hours=24)

    @property
    def after_change_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/{self.portal_path}/beranda"

    def link_url(self, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/{self.portal_path}/lupa-kata-sandi/atur/{token}"


# --- results --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Resent:
    pass


@dataclass(frozen=True)
class UnknownRequest:
    pass


@dataclass(frozen=True)
class RequestStatus:
    resend_available_at: datetime


@dataclass(frozen=True)
class LinkValid:
    locale: str


@dataclass(frozen=True)
class LinkInvalid:
    """Unknown, tampered, expired or already used: the page says so in one way."""


@dataclass(frozen=True)
class PasswordChanged:
    pass


@dataclass(frozen=True)
class PasswordRefused:
    reason: str  # Keycloak's policy message key, e.g. invalidPasswordMinLengthMessage


ResendResult = Resent | TooEarly | UnknownRequest
SetPasswordResult = PasswordChanged | PasswordRefused | LinkInvalid


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


class PasswordResetService:
    def __init__(self, session_factory: sessionmaker[Session], keycloak: KeycloakUsers,
                 clock: Clock, settings: PasswordResetSettings, link_secret: str) -> None:
        self._sessions = session_factory
        self._keycloak = keycloak
        self._clock = clock
        self.settings = settings
        self._signer = URLSafeTimedSerializer(link_secret, salt=_LINK_SALT)

    # ---- the web request: the same work for any identifier (X1) ---------------------------

    def request(self, identifier: str, channel: Channel, locale: str) -> str:
        """Store the request and enqueue its job; returns the opaque token of the
        "link sent" page. No lookup happens here."""
        if channel not in CHANNELS:
            raise ValueError("unknown channel")
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions() as session, session.begin():
            session.execute(delete(PasswordResetRequest).where(
                PasswordResetRequest.created_at < now - self.settings.request_lifetime))
            row = PasswordResetRequest(
                token_hash=_hash(token), realm=self.settings.realm,
                identifier=identifier.strip(), channel=channel, locale=locale,
                created_at=now, last_sent_at=now, sends=1)
            session.add(row)
            session.flush()
            self._enqueue(session, row.id, 1, now)
        log.info("password reset request %s stored", row.id)
        return token

    def status(self, token: str) -> RequestStatus | None:
        with self._sessions() as session:
            row = self._live_request(session, token)
            if row is None:
                return None
            return RequestStatus(row.last_sent_at + self.settings.resend_after)

    def resend(self, token: str) -> ResendResult:
        """"Kirim Ulang": a new job for the same request, 15 minutes after the last (C2)."""
        now = self._clock()
        with self._sessions() as session, session.begin():
            row = self._live_request(session, token)
            if row is None:
                return UnknownRequest()
            # One conditional UPDATE: two quick clicks cannot both pass the 15-minute check.
            result = session.execute(
                update(PasswordResetRequest)
                .where(PasswordResetRequest.id == row.id,
                       PasswordResetRequest.last_sent_at <= now - self.settings.resend_after)
                .values(last_sent_at=now, sends=PasswordResetRequest.sends + 1)
                .execution_options(synchronize_session=False))
            if not getattr(result, "rowcount", 0):
                return TooEarly(seconds_until(row.last_sent_at + self.settings.resend_after,
                                              now))
            self._enqueue(session, row.id, row.sends + 1, now)
        return Resent()

    def _live_request(self, session: Session, token: str) -> PasswordResetRequest | None:
        return session.scalars(select(PasswordResetRequest).where(
            PasswordResetRequest.token_hash == _hash(token),
            PasswordResetRequest.created_at > self._clock() - self.settings.request_lifetime,
        )).one_or_none()

    @staticmethod
    def _enqueue(session: Session, request_id: int, send: int, now: datetime) -> None:
        Outbox(session).enqueue(kind=OUTBOX_REQUESTED, now=now,
                                payload={"request_id": request_id},
                                idempotency_key=f"password_reset:{request_id}:{send}")

    # ---- the worker: lookup and send ------------------------------------------------------

    def process(self, request_id: int) -> str:
        """Act on a stored request; returns the outcome (for logs and tests, no identifier)."""
        with self._sessions() as session:
            row = session.get(PasswordResetRequest, request_id)
        if row is None:
            return "expired"
        user = self._resolve(row.realm, row.identifier)
        if user is None or not user.enabled:
            outcome = "no_account"
        elif self._sent_recently(row.realm, user.id):
            # C2 per account, not per request: a stranger pressing "Proses" again and again
            # must not flood the owner with mails or paid SMS. The page answered the same.
            outcome = "throttled"
        elif row.channel == "sms" and _verified_phone(user):
            self._send_sms_link(row, user)
            self._record_sent(row.realm, user.id, "sms")
            outcome = "sms_link"
        elif user.email:
            self._keycloak.send_actions_email(
                row.realm, user.id, ["UPDATE_PASSWORD"], client_id=self.settings.client_id,
                redirect_uri=self.settings.after_change_url,
                lifespan_seconds=int(self.settings.link_lifetime.total_seconds()))
            self._record_sent(row.realm, user.id, "email")
            outcome = "email_link"
        else:
            outcome = "no_address"
        log.info("password reset request %s: %s", request_id, outcome)
        return outcome

    def _sent_recently(self, realm: str, user_id: str) -> bool:
        with self._sessions() as session:
            last = AuditLog(session).last_occurred(realm=realm, event_type=AUDIT_LINK_SENT,
                                                   subject_id=user_id)
        return last is not None and last > self._clock() - self.settings.resend_after

    def _record_sent(self, realm: str, user_id: str, channel: str) -> None:
        with self._sessions() as session, session.begin():
            AuditLog(session).record(realm=realm, event_type=AUDIT_LINK_SENT,
                                     occurred_at=self._clock(), subject_id=user_id,
                                     details={"channel": channel})

    def _resolve(self, realm: str, identifier: str) -> UserRecord | None:
        for lookup in lookups_for(identifier):
            if lookup.attribute is None:
                user = self._keycloak.find_by_username(realm, lookup.value)
                if user is not None:
                    return user
                continue
            hits = self._keycloak.find_by_attribute(realm, lookup.attribute, lookup.value)
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                # Identifiers are unique per realm; two accounts means data to fix, not guess.
                log.warning("password reset: %s names %s accounts; nothing sent",
                            lookup.kind, len(hits))
                return None
        return None

    def _send_sms_link(self, row: PasswordResetRequest, user: UserRecord) -> None:
        raw = secrets.token_urlsafe(32)
        token = self._signer.dumps(raw)
        now = self._clock()
        with self._sessions() as session, session.begin():
            link = PasswordResetLink(
                token_hash=_hash(raw), realm=row.realm, user_id=user.id, locale=row.locale,
                created_at=now, expires_at=now + self.settings.link_lifetime)
            session.add(link)
            session.flush()
            Outbox(session).enqueue(
                kind=OUTBOX_SMS_LINK, now=now, idempotency_key=f"password_reset_link:{link.id}",
                payload={"to": user.attributes["phoneNumber"], "url": self.settings.link_url(token),
                         "locale": row.locale, "realm": row.realm,
                         "ttl_minutes": int(self.settings.link_lifetime.total_seconds() // 60)})

    # ---- the SMS link's page ----------------------------------------------------------------

    def _unsign(self, token: str) -> str | None:
        try:
            return str(self._signer.loads(
                token, max_age=int(self.settings.link_lifetime.total_seconds())))
        except BadSignature:  # also SignatureExpired
            return None

    def open_link(self, token: str) -> LinkValid | LinkInvalid:
        raw = self._unsign(token)
        if raw is None:
            return LinkInvalid()
        with self._sessions() as session:
            link = self._usable_link(session, raw)
            return LinkInvalid() if link is None else LinkValid(link.locale)

    def _usable_link(self, session: Session, raw: str) -> PasswordResetLink | None:
        return session.scalars(select(PasswordResetLink).where(
            PasswordResetLink.token_hash == _hash(raw), PasswordResetLink.used_at.is_(None),
            PasswordResetLink.expires_at > self._clock())).one_or_none()

    def set_password(self, token: str, password: str) -> SetPasswordResult:
        """Claim the link, let Keycloak's policy judge the password, then notify (C4).

        The claim is committed before Keycloak is called, so two submissions of one link
        cannot both change the password; a refused password gives the link back.
        """
        raw = self._unsign(token)
        if raw is None:
            return LinkInvalid()
        now = self._clock()
        with self._sessions() as session, session.begin():
            link = self._usable_link(session, raw)
            if link is None or not self._mark_used(session, link.id, now):
                return LinkInvalid()
        try:
            self._keycloak.set_password(link.realm, link.user_id, password)
        except PasswordRejected as refused:
            self._release(link.id)
            return PasswordRefused(refused.reason)
        except Exception:
            self._release(link.id)
            raise
        try:
            # Whoever knew the old password must not stay logged in with it.
            self._keycloak.end_sessions(link.realm, link.user_id)
        except KeycloakError:
            log.warning("password reset link %s: sessions not ended", link.id)
        with self._sessions() as session, session.begin():
            # Any other link still out for this account dies with the old password.
            session.execute(update(PasswordResetLink)
                            .where(PasswordResetLink.realm == link.realm,
                                   PasswordResetLink.user_id == link.user_id,
                                   PasswordResetLink.used_at.is_(None))
                            .values(used_at=now).execution_options(synchronize_session=False))
            Outbox(session).enqueue(
                kind=OUTBOX_PASSWORD_CHANGED, now=now,
                idempotency_key=f"password_changed:link:{link.id}",
                payload={"realm": link.realm, "user_id": link.user_id, "locale": link.locale,
                         "changed_at": now.isoformat()})
            AuditLog(session).record(realm=link.realm, event_type="a7_password_reset_by_sms",
                                     occurred_at=now, actor=link.user_id,
                                     subject_id=link.user_id, details={"link_id": link.id})
        log.info("password reset link %s used", link.id)
        return PasswordChanged()

    @staticmethod
    def _mark_used(session: Session, link_id: int, now: datetime) -> bool:
        result = session.execute(
            update(PasswordResetLink)
            .where(PasswordResetLink.id == link_id, PasswordResetLink.used_at.is_(None))
            .values(used_at=now).execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def _release(self, link_id: int) -> None:
        with self._sessions() as session, session.begin():
            session.execute(update(PasswordResetLink).where(PasswordResetLink.id == link_id)
                            .values(used_at=None).execution_options(synchronize_session=False))


def _verified_phone(user: UserRecord) -> bool:
    return bool(user.attributes.get("phoneNumber")) \
        and user.attributes.get("phoneNumberVerified") == "true"
