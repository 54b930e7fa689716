"""AKSes registration use cases (A1–A5, C2): check, edit, activate, resend, thank you.

The web views call these and render the typed results; nothing here knows about HTTP.

Consistency, because two systems are written (our database and Keycloak) without a shared
transaction:

* ``activate`` first claims the registration with one conditional UPDATE (``pending_confirmation``
  -> ``activating``), committed before Keycloak is called. Of two concurrent clicks exactly one
  wins; the other is told the activation is in progress, or -- once done -- gets the same
  ``Activated`` answer. The unique identity records (same NIK / passport / SID / email / phone
  in the realm) are the second guard, against two *different* registrations of one person.
* Keycloak steps run outside any database transaction. When a step after ``create_user`` fails
  (roles, identity records, the final commit), the user is deleted again and the claim released:
  nothing half-written stays behind, and the same confirmation page can be activated again. If
  even the delete fails, the orphan's id is kept on the registration and removed before the next
  attempt.
* The activation email is sent after the account is committed. If Keycloak cannot send it, the
  account stays (it is complete, only unverified), the send slot is given back and "Kirim Ulang"
  works at once; otherwise "Kirim Ulang" waits 15 minutes from the last send (C2).
* Duplicates are refused with one message that names neither the identifier nor the account
  (X1): "already registered; log in or use forgot password". It is only reached after the
  registries confirmed the identity, so it is no free oracle on emails or NIKs.

Logs carry registration ids, outcomes and registry names -- never an identifier (X3).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.keycloak.port import (
    KeycloakError,
    KeycloakUsers,
    NewUser,
    UserAlreadyExists,
)
from gerbang_sidecar.adapters.storage.akses_registrations import (
    ACTIVATED,
    ACTIVATING,
    PENDING,
    AksesRegistrations,
)
from gerbang_sidecar.adapters.storage.models import AksesRegistration
from gerbang_sidecar.adapters.storage.repositories import (
    AuditLog,
    DuplicateIdentifier,
    IdentityRecords,
)
from gerbang_sidecar.domain.akses_registration import (
    TYPE_LABELS,
    Decision,
    FieldErrors,
    RegistrationData,
    RegistrationType,
    RegistryDown,
    Rejected,
    decide_by_investor,
    decide_local,
    form_fields,
    identifiers_of,
    keycloak_attributes,
    mask_identifier,
    roles_for,
    validate_form,
)
from gerbang_sidecar.domain.identifiers import IdentifierError, parse_mobile_number
from gerbang_sidecar.domain.registry_results import Match
from gerbang_sidecar.domain.throttle import TooEarly, too_early

if TYPE_CHECKING:  # the registry packages pull in Flask wiring; only their types are needed
    from gerbang_sidecar.adapters.registries.dukcapil import Dukcapil
    from gerbang_sidecar.adapters.registries.ksei import Ksei

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
ACTIVATION_ACTIONS = ("VERIFY_EMAIL", "UPDATE_PASSWORD")
_MAX_TOKEN_LENGTH = 128


class SessionFactory(Protocol):
    def __call__(self) -> Session: ...


class InvestorRegistries(Protocol):
    """The two registries registration needs; ``Registries`` and the fakes both fit."""

    @property
    def dukcapil(self) -> Dukcapil: ...

    @property
    def ksei(self) -> Ksei: ...


@dataclass(frozen=True)
class AksesRegistrationSettings:
    public_url: str  # SIDECAR_PUBLIC_URL: Beranda lives under it
    realm: str = "akses"
    client_id: str = "akses-portal"
    beranda_path: str = "/akses/beranda"
    resend_after: timedelta = timedelta(minutes=15)  # C2
    # Unconfirmed registrations hold personal data; a day is plenty to click "Aktivasi".
    pending_lifetime: timedelta = timedelta(hours=24)
    # A claim older than this belongs to a process that died mid-activation.
    activation_claim_timeout: timedelta = timedelta(minutes=5)
    action_link_lifespan: timedelta = timedelta(hours=12)

    @property
    def beranda_url(self) -> str:
        return self.public_url.rstrip("/") + self.beranda_path


# --- results --------------------------------------------------------------------------------


def _pick(lang: str, message_id: str, message_en: str) -> str:
    return message_en if _language(lang) == "en" else message_id


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page shows after "Selanjutnya" (A5); ``token`` goes in its URL."""

    token: str
    type: RegistrationType
    name: str
    email: str
    phone: str  # for display: national format for Indonesian numbers, else international
    nik_masked: str | None
    passport_masked: str | None
    sid: str | None  # found at KSEI (A3) or typed (A4); None for a Registered User
    roles: tuple[str, ...]

    @property
    def is_investor(self) -> bool:
        return self.sid is not None

    def type_label(self, lang: str = "id") -> str:
        return _pick(lang, *TYPE_LABELS[self.type])


@dataclass(frozen=True)
class FormErrors:
    """Field -> error for every rejected field (X5), and the typed values to refill the form."""

    errors: Mapping[str, IdentifierError]
    fields: Mapping[str, str] = field(default_factory=dict)

    def messages(self, lang: str = "id") -> dict[str, str]:
        return {name: error.message(lang) for name, error in self.errors.items()}


@dataclass(frozen=True)
class AlreadyRegistered:
    """Some identifier of this registration already has an account. Deliberately unspecific
    (X1): it names neither the identifier nor the account."""

    code: str = "registration.already_registered"
    message_id: str = ("Data ini sudah terdaftar di AKSes. Silakan masuk (log-in), atau gunakan "
                       "Lupa kata sandi jika Anda tidak ingat kata sandi Anda.")
    message_en: str = ("These details are already registered with AKSes. Please log in, or use "
                       "Forgot password if you do not remember your password.")

    def message(self, lang: str = "id") -> str:
        return _pick(lang, self.message_id, self.message_en)


@dataclass(frozen=True)
class TemporaryProblem:
    """A registry or Keycloak could not answer: try again later; nothing was created."""

    code: str = "registration.temporary_problem"
    message_id: str = ("Maaf, sedang terjadi gangguan sementara. Data Anda belum disimpan "
                       "sebagai akun; silakan coba lagi beberapa saat lagi.")
    message_en: str = ("Sorry, there is a temporary problem. No account was created yet; "
                       "please try again in a few moments.")

    def message(self, lang: str = "id") -> str:
        return _pick(lang, self.message_id, self.message_en)


@dataclass(frozen=True)
class RegistrationNotFound:
    """Unknown or expired token, or a step that does not fit the registration's state."""


@dataclass(frozen=True)
class FormData:
    """"Kembali": the form as the user typed it, every field kept (A5)."""

    type: RegistrationType
    fields: Mapping[str, str]


@dataclass(frozen=True)
class AlreadyActivated:
    """The registration became an account; the form can no longer be changed."""

    name: str


@dataclass(frozen=True)
class ActivationInProgress:
    """Another request (the first of a double click) is creating the account right now."""


@dataclass(frozen=True)
class Activated:
    name: str
    keycloak_user_id: str
    # False when Keycloak could not send the email: the account exists, "Kirim Ulang" retries.
    email_sent: bool
    resend_available_at: datetime


@dataclass(frozen=True)
class Resent:
    resend_available_at: datetime


@dataclass(frozen=True)
class AccountAlreadyActive:
    """The email was verified already; nothing to resend, the user can log in."""


@dataclass(frozen=True)
class ThankYou:
    name: str
    email_sent: bool
    resend_available_at: datetime


CheckResult = Confirmation | FormErrors | AlreadyRegistered | TemporaryProblem
EditResult = FormData | AlreadyActivated | ActivationInProgress | RegistrationNotFound
ActivateResult = (Activated | ActivationInProgress | AlreadyRegistered | TemporaryProblem
                  | RegistrationNotFound)
ResendResult = Resent | TooEarly | AccountAlreadyActive | TemporaryProblem | RegistrationNotFound
ThankYouResult = ThankYou | ActivationInProgress | RegistrationNotFound


class _ClaimLost(Exception):
    """Our activation claim was taken over (it outlived the claim timeout)."""


# --- service --------------------------------------------------------------------------------


class AksesRegistrationService:
    def __init__(self, session_factory: SessionFactory, keycloak: KeycloakUsers,
                 registries: InvestorRegistries, clock: Clock,
                 settings: AksesRegistrationSettings) -> None:
        self._session_factory = session_factory
        self._keycloak = keycloak
        self._registries = registries
        self._clock = clock
        self._settings = settings

    # "Selanjutnya" -----------------------------------------------------------------------

    def check(self, form: Mapping[str, str | None], lang: str = "id") -> CheckResult:
        """Validate the form, ask the registries, refuse duplicates, keep it pending."""
        now = self._clock()
        kept = form_fields(form)
        validated = validate_form(form, today=now.date())
        if isinstance(validated, FieldErrors):
            return FormErrors(validated.errors, kept)

        decision = self._ask_registries(validated)
        if isinstance(decision, RegistryDown):
            log.warning("akses registration check: registry %s unavailable (%s)",
                        decision.registry, decision.reason)
            return TemporaryProblem()
        if isinstance(decision, Rejected):
            return FormErrors(decision.errors, kept)
        data = decision.data

        try:
            if self._already_registered(data):
                log.info("akses registration check: refused as already registered")
                return AlreadyRegistered()
        except KeycloakError as exc:
            log.warning("akses registration check: keycloak unavailable (%s)",
                        type(exc).__name__)
            return TemporaryProblem()

        token = secrets.token_urlsafe(32)
        with self._transaction() as session:
            row = AksesRegistrations(session).add(
                token_hash=_token_hash(token), registration_type=data.type.value,
                data={"data": data.to_dict(), "form": kept}, locale=_language(lang), now=now)
            AuditLog(session).record(
                realm=self._settings.realm, event_type="akses.registration.checked",
                occurred_at=now,
                details={"registration_id": row.id, "type": data.type.value,
                         "checks": list(_checks_made(data)), "investor": data.is_investor})
        log.info("akses registration %s pending confirmation", row.id)
        return _confirmation(token, data)

    # "Kembali" ---------------------------------------------------------------------------

    def edit(self, token: str) -> EditResult:
        row = self._find(token)
        if row is None:
            return RegistrationNotFound()
        if row.status == ACTIVATED:
            return AlreadyActivated(name=row.data["name"])
        if row.status == ACTIVATING:
            return ActivationInProgress()
        return FormData(type=RegistrationType(row.registration_type),
                        fields=dict(row.data["form"]))

    # "Aktivasi" --------------------------------------------------------------------------

    def activate(self, token: str) -> ActivateResult:
        """Create the Keycloak account of a pending registration, once (see module doc)."""
        if not _plausible(token):
            return RegistrationNotFound()
        token_hash = _token_hash(token)
        now = self._clock()
        settings = self._settings
        with self._transaction() as session:
            repo = AksesRegistrations(session)
            # The claim is the transaction's first statement: on SQLite it takes the write
            # lock straight away, so concurrent claims queue instead of deadlocking.
            claimed = repo.claim_for_activation(
                token_hash, now=now, pending_since=now - settings.pending_lifetime,
                stale_before=now - settings.activation_claim_timeout)
            row = repo.by_token_hash(token_hash)
        if row is None:
            return RegistrationNotFound()
        if not claimed:
            if row.status == ACTIVATED:
                return self._activated(row)
            if row.status == ACTIVATING:
                return ActivationInProgress()
            return RegistrationNotFound()  # pending, but past its lifetime

        data = RegistrationData.from_dict(row.data["data"])
        if row.keycloak_user_id is not None and not self._delete_orphan(row.id,
                                                                        row.keycloak_user_id):
            self._release(row.id, orphan_user_id=row.keycloak_user_id)
            return TemporaryProblem()
        return self._create_account(row.id, data, row.locale, now)

    def _create_account(self, registration_id: int, data: RegistrationData, locale: str,
                        now: datetime) -> ActivateResult:
        realm = self._settings.realm
        roles = list(roles_for(data))
        new_user = NewUser(
            username=data.email.lower(), email=data.email, first_name=data.name,
            attributes={**keycloak_attributes(data), "locale": locale}, email_verified=False)
        try:
            user_id = self._keycloak.create_user(realm, new_user)
        except UserAlreadyExists:
            # Someone took the email in Keycloak since "Selanjutnya" (or an earlier attempt
            # of this registration died after creating it): no account of ours exists.
            self._release(registration_id, failure="already_registered")
            return AlreadyRegistered()
        except KeycloakError as exc:
            self._release(registration_id, failure=f"create_user:{type(exc).__name__}")
            return TemporaryProblem()

        try:
            self._keycloak.assign_realm_roles(realm, user_id, roles)
            with self._transaction() as session:
                records = IdentityRecords(session)
                for kind, value in identifiers_of(data):
                    records.add(realm=realm, kind=kind, value=value, created_at=now,
                                subject_id=user_id)
                AuditLog(session).record(
                    realm=realm, event_type="akses.registration.activated", occurred_at=now,
                    actor=user_id, subject_id=user_id,
                    details={"registration_id": registration_id, "type": data.type.value,
                             "roles": roles, "checks": list(_checks_made(data))})
                # Only the name stays: the thank-you page needs it, the identifiers now live
                # in the identity records and in Keycloak.
                if not AksesRegistrations(session).mark_activated(
                        registration_id, keycloak_user_id=user_id, now=now,
                        data={"name": data.name}):
                    raise _ClaimLost
        except Exception as exc:
            self._undo_account(registration_id, user_id, exc)
            if isinstance(exc, DuplicateIdentifier):
                return AlreadyRegistered()
            if isinstance(exc, KeycloakError | SQLAlchemyError | _ClaimLost):
                return TemporaryProblem()
            raise

        log.info("akses registration %s activated", registration_id)
        sent = self._send_activation_email(registration_id, user_id, previous=None, now=now,
                                           resend=False)
        return Activated(
            name=data.name, keycloak_user_id=user_id, email_sent=isinstance(sent, Resent),
            resend_available_at=sent.resend_available_at if isinstance(sent, Resent) else now)

    def _undo_account(self, registration_id: int, user_id: str, cause: BaseException) -> None:
        """Compensate a failed activation: remove the Keycloak user, release the claim."""
        deleted = self._delete_orphan(registration_id, user_id)
        self._release(registration_id, failure=f"after_create:{type(cause).__name__}",
                      orphan_user_id=None if deleted else user_id)

    def _delete_orphan(self, registration_id: int, user_id: str) -> bool:
        try:
            self._keycloak.delete_user(self._settings.realm, user_id)
        except KeycloakError as exc:
            log.error("akses registration %s: could not delete half-made keycloak user %s (%s)",
                      registration_id, user_id, type(exc).__name__)
            return False
        return True

    def _release(self, registration_id: int, *, failure: str | None = None,
                 orphan_user_id: str | None = None) -> None:
        """Back to pending, so the same confirmation page can try again."""
        now = self._clock()
        try:
            with self._transaction() as session:
                AksesRegistrations(session).release(registration_id,
                                                    orphan_user_id=orphan_user_id)
                if failure is not None:
                    AuditLog(session).record(
                        realm=self._settings.realm, occurred_at=now,
                        event_type="akses.registration.activation_failed",
                        details={"registration_id": registration_id, "reason": failure,
                                 "orphan_left": orphan_user_id is not None})
        except SQLAlchemyError as exc:
            # The claim then expires by itself after activation_claim_timeout.
            log.error("akses registration %s: could not release activation claim (%s)",
                      registration_id, type(exc).__name__)
        log.warning("akses registration %s: activation undone (%s)", registration_id, failure)

    def _activated(self, row: AksesRegistration) -> Activated:
        sent_at = row.activation_email_sent_at
        return Activated(
            name=row.data["name"], keycloak_user_id=row.keycloak_user_id or "",
            email_sent=sent_at is not None,
            resend_available_at=self._resend_available_at(sent_at))

    # "Kirim Ulang" -----------------------------------------------------------------------

    def resend(self, token: str) -> ResendResult:
        """Send the verification email again, not before 15 minutes after the last one (C2)."""
        row = self._find(token)
        if row is None or row.status != ACTIVATED or row.keycloak_user_id is None:
            return RegistrationNotFound()
        now = self._clock()
        # Answer early without touching Keycloak; the UPDATE below still decides races.
        if wait := self._resend_wait(row.activation_email_sent_at, now):
            return wait
        try:
            user = self._keycloak.get_user(self._settings.realm, row.keycloak_user_id)
        except KeycloakError:
            return TemporaryProblem()
        if user is None:
            return RegistrationNotFound()
        if user.email_verified:
            return AccountAlreadyActive()
        return self._send_activation_email(row.id, row.keycloak_user_id,
                                           previous=row.activation_email_sent_at, now=now,
                                           resend=True)

    def _send_activation_email(self, registration_id: int, user_id: str, *,
                               previous: datetime | None, now: datetime,
                               resend: bool) -> Resent | TooEarly | TemporaryProblem:
        settings = self._settings
        with self._transaction() as session:
            repo = AksesRegistrations(session)
            if not repo.claim_email_send(registration_id, now=now,
                                         last_sent_before=now - settings.resend_after):
                current = session.get(AksesRegistration, registration_id)
                sent_at = current.activation_email_sent_at if current else None
                # Another click won the send a moment ago, so some wait remains.
                return self._resend_wait(sent_at, now) or TooEarly(1)
        try:
            self._keycloak.send_actions_email(
                settings.realm, user_id, list(ACTIVATION_ACTIONS), client_id=settings.client_id,
                redirect_uri=settings.beranda_url,
                lifespan_seconds=int(settings.action_link_lifespan.total_seconds()))
        except KeycloakError as exc:
            log.warning("akses registration %s: activation email not sent (%s)",
                        registration_id, type(exc).__name__)
            with self._transaction() as session:
                AksesRegistrations(session).undo_email_send(registration_id, claimed_at=now,
                                                            previous=previous)
            return TemporaryProblem()
        with self._transaction() as session:
            AuditLog(session).record(
                realm=settings.realm, event_type="akses.registration.activation_email_sent",
                occurred_at=now, actor=user_id, subject_id=user_id,
                details={"registration_id": registration_id, "resend": resend})
        return Resent(resend_available_at=now + settings.resend_after)

    # Thank-you page ----------------------------------------------------------------------

    def thank_you(self, token: str) -> ThankYouResult:
        row = self._find(token)
        if row is None:
            return RegistrationNotFound()
        if row.status == ACTIVATING:
            return ActivationInProgress()
        if row.status != ACTIVATED:
            return RegistrationNotFound()
        sent_at = row.activation_email_sent_at
        return ThankYou(name=row.data["name"], email_sent=sent_at is not None,
                        resend_available_at=self._resend_available_at(sent_at))

    # Housekeeping ------------------------------------------------------------------------

    def purge_expired(self) -> int:
        """Delete unconfirmed registrations past their lifetime (their data is personal)."""
        now = self._clock()
        with self._transaction() as session:
            return AksesRegistrations(session).purge_pending(
                created_before=now - self._settings.pending_lifetime)

    # helpers -----------------------------------------------------------------------------

    def _ask_registries(self, data: RegistrationData) -> Decision:
        ksei = self._registries.ksei
        if data.type is RegistrationType.INDIVIDU_LOKAL:
            assert data.nik is not None  # validate_form guarantees it
            population = self._registries.dukcapil.verify_identity(data.nik, name=data.name)
            investor = ksei.find_investor("nik", data.nik) \
                if isinstance(population, Match) else None
            return decide_local(data, population, investor)
        if data.type is RegistrationType.INDIVIDU_ASING:
            assert data.passport is not None
            return decide_by_investor(data, ksei.find_investor("passport", data.passport))
        assert data.sid is not None
        return decide_by_investor(data, ksei.find_investor("sid", data.sid))

    def _already_registered(self, data: RegistrationData) -> bool:
        """Our identity records first (blind index), then Keycloak itself: accounts made
        elsewhere (legacy imports carry a NIK or SID, admins create users) count too."""
        realm = self._settings.realm
        with self._session_factory() as session:
            records = IdentityRecords(session)
            if any(records.exists(realm=realm, kind=kind, value=value)
                   for kind, value in identifiers_of(data)):
                return True
        if self._keycloak.find_by_email(realm, data.email) is not None:
            return True
        return any(
            self._keycloak.find_by_attribute(realm, name, value)
            for name, value in (("nik", data.nik), ("passport", data.passport),
                                ("sid", data.sid))
            if value is not None
        )

    def _find(self, token: str) -> AksesRegistration | None:
        if not _plausible(token):
            return None
        with self._session_factory() as session:
            row = AksesRegistrations(session).by_token_hash(_token_hash(token))
        if row is None:
            return None
        if row.status == PENDING and \
                row.created_at <= self._clock() - self._settings.pending_lifetime:
            return None
        return row

    def _resend_available_at(self, sent_at: datetime | None) -> datetime:
        return self._clock() if sent_at is None else sent_at + self._settings.resend_after

    def _resend_wait(self, sent_at: datetime | None, now: datetime) -> TooEarly | None:
        return None if sent_at is None else too_early(sent_at + self._settings.resend_after, now)

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._session_factory() as session, session.begin():
            yield session


def _confirmation(token: str, data: RegistrationData) -> Confirmation:
    phone = parse_mobile_number(data.phone, allow_foreign=True)
    return Confirmation(
        token=token, type=data.type, name=data.name, email=data.email,
        phone=phone.national_format if phone.is_indonesian else phone.international_format,
        nik_masked=mask_identifier(data.nik) if data.nik else None,
        passport_masked=mask_identifier(data.passport) if data.passport else None,
        sid=data.sid, roles=roles_for(data))


def _checks_made(data: RegistrationData) -> tuple[str, ...]:
    """Which registry verifications an eligible registration passed (for the audit, X4)."""
    if data.type is RegistrationType.INDIVIDU_LOKAL:
        return ("dukcapil.nik_name", "ksei.broker_email") if data.is_investor \
            else ("dukcapil.nik_name", "ksei.no_sid")
    return ("ksei.name", "ksei.broker_email")


def _token_hash(token: str) -> bytes:
    # The token carries 256 random bits, so a plain hash cannot be reversed by guessing.
    return hashlib.sha256(token.encode("utf-8")).digest()


def _plausible(token: object) -> bool:
    return isinstance(token, str) and 0 < len(token) <= _MAX_TOKEN_LENGTH


def _language(lang: str) -> str:
    return "en" if (lang or "").strip().lower().replace("_", "-").startswith("en") else "id"


__all__ = [
    "ACTIVATION_ACTIONS",
    "AccountAlreadyActive",
    "ActivateResult",
    "Activated",
    "ActivationInProgress",
    "AksesRegistrationService",
    "AksesRegistrationSettings",
    "AlreadyActivated",
    "AlreadyRegistered",
    "CheckResult",
    "Confirmation",
    "EditResult",
    "FormData",
    "FormErrors",
    "InvestorRegistries",
    "RegistrationNotFound",
    "ResendResult",
    "Resent",
    "TemporaryProblem",
    "ThankYou",
    "ThankYouResult",
]
