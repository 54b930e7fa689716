"""B11: compromised accounts. An officer (Verifikator of the account's instansi, or an RA)
disables an account: Keycloak refuses its logins with B11's sentence (the login theme), every
Keycloak and sidecar session ends (X9), and signing is refused (the certificate pages read
``enabled``). Reactivation: the Verifikator files a reset-authenticator request with the three
uploads of B11 -- the "Formulir Reset Authenticator" signed by the Verifikator or a superior,
proof of a full antivirus scan, proof that the work-email password was changed -- each a PDF
(checked like INSW's Surat Kuasa) or a JPEG/PNG (re-encoded), at most 1 MB; an RA approves:
the OTP devices go, the account is enabled, and Keycloak's "Reset Authenticator" email leads
through a new OTP device and a new password. Every step is audited (X4).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from gerbang_sidecar.domain.form_rules import parse_reason
from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.documents import (
    CleanImage,
    ImageInspector,
    PdfInspector,
    RefusedDocument,
)
from gerbang_sidecar.ports.keycloak import KeycloakUsers, UserRecord
from gerbang_sidecar.ports.storage import AccountRequestRecord, StorageError, Store
from gerbang_sidecar.services.bsre.invitations import BsreSettings
from gerbang_sidecar.services.bsre.officers import Officer, may_act_on
from gerbang_sidecar.services.identity_index import IdentityIndex
from gerbang_sidecar.services.outbox_worker import Delivery
from gerbang_sidecar.services.portal_sessions import PortalSessions
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem

log = logging.getLogger(__name__)

RESET_AUTHENTICATOR = "reset_authenticator"
DOCUMENTS = ("formulir", "antivirus", "email_password")
MAX_DOCUMENT_BYTES = 1024 * 1024
RESET_ACTIONS = ("CONFIGURE_TOTP", "UPDATE_PASSWORD")
RESET_LINK_LIFESPAN = timedelta(hours=1)
OUTBOX_DISABLED = "bsre.account_disabled"
OUTBOX_RESET_MAIL = "bsre.reset_authenticator_mail"
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class Account:
    user: UserRecord
    requests: list[AccountRequestRecord]

    @property
    def pending_reset(self) -> AccountRequestRecord | None:
        return next((r for r in self.requests
                     if r.kind == RESET_AUTHENTICATOR and r.status == "pending"), None)


@dataclass(frozen=True)
class Done:
    pass


@dataclass(frozen=True)
class NotAllowed:
    """Not in the officer's scope, not in the state the action needs, or not the RA."""


class CompromisedAccounts:
    def __init__(self, store: Store, keycloak: KeycloakUsers, sessions: PortalSessions,
                 pdf: PdfInspector, images: ImageInspector, clock: Clock,
                 settings: BsreSettings, index: IdentityIndex) -> None:
        self._store = store
        self._keycloak = keycloak
        self._sessions = sessions
        self._pdf = pdf
        self._images = images
        self._clock = clock
        self.settings = settings
        self._index = index

    # --- what officers see ---------------------------------------------------------------

    def account(self, officer: Officer, user_id: str) -> Account | None:
        """The account, when it is in the officer's scope (else None, like a missing one).
        Keycloak down raises KeycloakUnavailable."""
        user = self._keycloak.get_user(self.settings.realm, user_id)
        if user is None or not officer.may_see(user.attributes.get("instansi")):
            return None
        with self._store.transaction() as tx:
            requests = tx.account_requests.of_user(realm=self.settings.realm, user_id=user_id)
        return Account(user, list(requests))

    def search(self, officer: Officer, query: str) -> list[UserRecord]:
        """Accounts of the officer's instansi by email, NIK, NIP (exact; NIK and NIP from the
        identity index) or by name (Keycloak's search, at most SEARCH_LIMIT before the scope
        is applied)."""
        text = " ".join((query or "").split())[:254]
        realm = self.settings.realm
        if not text:
            return []
        if "@" in text:
            found = [u for u in [self._keycloak.find_by_email(realm, text)] if u is not None]
        elif text.isdigit() and len(text) in (16, 18):
            found = self._index.accounts_holding(realm, "nik" if len(text) == 16 else "nip",
                                                 text)
        else:
            found = self._keycloak.search_users(realm, text, limit=SEARCH_LIMIT)
        return [u for u in found if officer.may_see(u.attributes.get("instansi"))]

    def waiting(self, officer: Officer) -> list[AccountRequestRecord]:
        """The RA's queue of reset requests, oldest first."""
        if not officer.is_ra:
            return []
        with self._store.transaction() as tx:
            rows, _ = tx.account_requests.pending_in_scope(
                realm=self.settings.realm, scope=None, kinds=[RESET_AUTHENTICATOR],
                offset=0, limit=200)
        return rows

    def document(self, officer: Officer, request_id: int,
                 kind: str) -> tuple[bytes, str] | None:
        with self._store.transaction() as tx:
            row = tx.account_requests.get(request_id)
            if row is None or row.kind != RESET_AUTHENTICATOR or not officer.may_see(row.scope):
                return None
            found = tx.account_requests.document(request_id, kind)
            return None if found is None else (bytes(found.content), found.media_type)

    # --- B11 -----------------------------------------------------------------------------

    def disable(self, officer: Officer, user_id: str, reason: str
                ) -> Done | NotAllowed | FormErrors:
        try:
            reason = parse_reason(reason)
        except IdentifierError as error:
            return FormErrors({"reason": error})
        account = self.account(officer, user_id)
        if account is None or not account.user.enabled or not self._may_act_on(officer, user_id):
            return NotAllowed()
        realm = self.settings.realm
        self._keycloak.update_user(realm, user_id, enabled=False)
        # Recorded as soon as it is done: if ending the sessions fails below, the account is
        # disabled all the same (Keycloak refuses a disabled account's tokens, the sidecar's
        # logins check it), and the audit trail and the user's notice must say so.
        now = self._clock()
        with self._store.transaction() as tx:
            tx.audit.record(realm=realm, event_type="bsre.account.disabled", occurred_at=now,
                            actor=officer.user_id, subject_id=user_id,
                            details={"reason": reason})
            tx.outbox.enqueue(kind=OUTBOX_DISABLED, now=now,
                              idempotency_key=f"bsre_disabled:{user_id}:{now.isoformat()}",
                              payload={"realm": realm, "user_id": user_id})
        self._sessions.end_all(realm, user_id)
        self._keycloak.end_sessions(realm, user_id)
        log.info("bsre account disabled by an officer")
        return Done()

    def _may_act_on(self, officer: Officer, user_id: str) -> bool:
        return may_act_on(self._keycloak, self.settings.realm, officer, user_id)

    def request_reset(self, officer: Officer, user_id: str,
                      uploads: Mapping[str, bytes]) -> Done | NotAllowed | FormErrors:
        account = self.account(officer, user_id)
        if account is None or account.user.enabled or account.pending_reset is not None \
                or not self._may_act_on(officer, user_id):
            return NotAllowed()
        cleaned: dict[str, tuple[bytes, str]] = {}
        errors: dict[str, IdentifierError] = {}
        for kind in DOCUMENTS:
            checked = self._check_document(uploads.get(kind) or b"")
            if isinstance(checked, IdentifierError):
                errors[kind] = checked
            else:
                cleaned[kind] = checked
        if errors:
            return FormErrors(errors)
        now = self._clock()
        realm = self.settings.realm
        with self._store.transaction() as tx:
            row = tx.account_requests.add(
                realm=realm, user_id=user_id, scope=account.user.attributes.get("instansi"),
                kind=RESET_AUTHENTICATOR, data={}, requested_by=officer.user_id, now=now)
            for kind, (content, media_type) in cleaned.items():
                tx.account_requests.put_document(row.id, kind=kind, media_type=media_type,
                                                 content=content, now=now)
            tx.audit.record(realm=realm, event_type="bsre.reset_authenticator.requested",
                            occurred_at=now, actor=officer.user_id, subject_id=user_id,
                            details={"request_id": row.id,
                                     "documents": {k: len(v[0]) for k, v in cleaned.items()}})
        return Done()

    def decide_reset(self, officer: Officer, request_id: int, *, approve: bool,
                     reason: str = "") -> Done | NotAllowed | FormErrors | TemporaryProblem:
        if not officer.is_ra:
            return NotAllowed()
        if not approve:
            try:
                reason = parse_reason(reason)
            except IdentifierError as error:
                return FormErrors({"reason": error})
        realm = self.settings.realm
        with self._store.transaction() as tx:
            row = tx.account_requests.get(request_id)
        if row is None or row.kind != RESET_AUTHENTICATOR or row.status != "pending" \
                or row.requested_by == officer.user_id:  # four eyes: not one's own request
            return NotAllowed()
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                if not tx.account_requests.decide(
                        request_id, status="approved" if approve else "rejected",
                        by=officer.user_id, now=now):
                    return NotAllowed()
                # Only the decision that won the claim touches the account; a Keycloak
                # failure here rolls the claim back, so the request stays pending.
                if approve:
                    # Whoever took the account may know its password as well as hold its
                    # device: neither survives; the mailed link sets both anew.
                    for device in self._keycloak.otp_devices(realm, row.user_id):
                        self._keycloak.remove_credential(realm, row.user_id, device.id)
                    self._keycloak.remove_password(realm, row.user_id)
                    self._keycloak.update_user(realm, row.user_id, enabled=True)
                    # The mail with it, or never: sent by the outbox, retried while Keycloak
                    # or its mail relay is down (the account is enabled and has no device).
                    tx.outbox.enqueue(kind=OUTBOX_RESET_MAIL, now=now,
                                      idempotency_key=f"bsre_reset_authenticator:{request_id}",
                                      payload={"realm": realm, "user_id": row.user_id})
                tx.audit.record(realm=realm, occurred_at=now, actor=officer.user_id,
                                subject_id=row.user_id,
                                event_type="bsre.reset_authenticator."
                                           + ("approved" if approve else "rejected"),
                                details={"request_id": request_id,
                                         **({"reason": reason} if reason else {})})
        except StorageError:
            return TemporaryProblem()
        return Done()

    def send_reset_mail(self, delivery: Delivery) -> None:
        """``bsre.reset_authenticator_mail``: "Reset Authenticator", a new device and a new
        password through Keycloak's own pages (B11)."""
        self._keycloak.send_actions_email(
            delivery.payload["realm"], delivery.payload["user_id"], list(RESET_ACTIONS),
            client_id=self.settings.client_id,
            redirect_uri=f"{self.settings.portal_url}/dashboard",
            lifespan_seconds=int(RESET_LINK_LIFESPAN.total_seconds()))

    def _check_document(self, content: bytes) -> tuple[bytes, str] | IdentifierError:
        if not content:
            return IdentifierError("document.required")
        if len(content) > MAX_DOCUMENT_BYTES:
            return IdentifierError("document.too_large", max_mb=MAX_DOCUMENT_BYTES // 2**20)
        if content.lstrip()[:5] == b"%PDF-":
            verdict = self._pdf.inspect(content)
            if isinstance(verdict, RefusedDocument):
                return IdentifierError(f"document.{verdict.reason}")
            return content, "application/pdf"
        image = self._images.inspect(content)
        if isinstance(image, CleanImage):
            return image.content, image.media_type
        return IdentifierError("document.pdf_or_image")
