"""B13: the user asks to change Email ("Cek ketersediaan email" first), Jabatan, Unit
Organisasi or Nomor HP (proven by a WhatsApp code); a Verifikator of the instansi (or an RA)
approves or rejects; the user is mailed either way. While any change is pending the account
may not sign: ``signing_blocked`` is what the certificate pages ask.

One pending request per field. An approved change is written to Keycloak: a new email is
marked unverified and Keycloak mails its VERIFY_EMAIL link; a new number is verified (the
code proved it). Organisasi (the instansi) changes only by request to BSrE and NIP changes
go through the Verifikator outside these pages (not built yet). Every step is audited (X4).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from gerbang_sidecar.domain.form_rules import parse_reason
from gerbang_sidecar.domain.identifiers import (
    IdentifierError,
    check_nip_matches_nik,
    parse_email,
    parse_jabatan,
    parse_mobile_number,
    parse_nik,
    parse_nip,
    parse_unit_organisasi,
)
from gerbang_sidecar.domain.one_time_code import B2_WHATSAPP
from gerbang_sidecar.domain.registry_results import Match, Unavailable
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.domain.tokens import new_token, plausible, token_hash
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers, UserAlreadyExists
from gerbang_sidecar.ports.registries import Bkn
from gerbang_sidecar.ports.storage import AccountRequestRecord, StorageError, Store, Transaction
from gerbang_sidecar.services.bsre.invitations import BsreSettings
from gerbang_sidecar.services.bsre.officers import Officer, may_act_on
from gerbang_sidecar.services.one_time_codes import OneTimeCodeService, Sent, Verified, Wrong
from gerbang_sidecar.services.outbox_worker import Delivery
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem

log = logging.getLogger(__name__)

FIELDS = ("email", "jabatan", "unit_organisasi", "phone")
# What an officer may change, for the user to confirm (B13): the NIP only this way.
OFFICER_FIELDS = ("email", "jabatan", "unit_organisasi", "nip")
KINDS = {field: f"change_{field}" for field in (*FIELDS, "nip")}
ATTRIBUTES = {"jabatan": "jabatan", "unit_organisasi": "unitOrganisasi",
              "phone": "phoneNumber", "nip": "nip"}
OUTBOX_DECIDED = "bsre.profile_change_decided"
OUTBOX_CONFIRMATION = "bsre.profile_change_confirmation"
OUTBOX_VERIFY_EMAIL = "bsre.profile_change_verify_email"
CONFIRM_LIFETIME = timedelta(hours=24)
CONFIRMED_BY_USER = "user"
QUEUE_PAGE = 50


@dataclass(frozen=True)
class Available:
    email: str


@dataclass(frozen=True)
class Requested:
    request_id: int


@dataclass(frozen=True)
class CodeSent:
    minutes: int


@dataclass(frozen=True)
class Decided:
    approved: bool


@dataclass(frozen=True)
class NotAllowed:
    """Not waiting any more, or not in the officer's scope."""


@dataclass(frozen=True)
class AddressTaken:
    """The new email address belongs to another account by now (it was free when the change
    was asked for): nothing changed, the change still waits to be rejected."""


def _subject(user_id: str) -> str:
    return f"change_phone:{user_id}"


class ProfileChanges:
    def __init__(self, store: Store, keycloak: KeycloakUsers, codes: OneTimeCodeService,
                 clock: Clock, settings: BsreSettings, bkn: Bkn | None = None) -> None:
        self._store = store
        self._keycloak = keycloak
        self._codes = codes
        self._clock = clock
        self.settings = settings
        self._bkn = bkn

    # --- the user ------------------------------------------------------------------------

    def email_available(self, user_id: str, raw: str | None) -> Available | FormErrors:
        """B13 "Cek ketersediaan email": a valid address no other account of BSrE holds."""
        try:
            email = parse_email(raw).value
        except IdentifierError as error:
            return FormErrors({"email": error.on_field("email")})
        holder = self._keycloak.find_by_email(self.settings.realm, email)
        if holder is not None:
            key = "email.unchanged" if holder.id == user_id else "email.taken"
            return FormErrors({"email": IdentifierError(key)})
        return Available(email)

    def send_phone_code(self, user_id: str, raw: str | None, locale: str = "id"
                        ) -> CodeSent | TooEarly | FormErrors | TemporaryProblem:
        try:
            phone = parse_mobile_number(raw).e164
        except IdentifierError as error:
            return FormErrors({"phone": error.on_field("phone")})
        try:
            result = self._codes.request(policy=B2_WHATSAPP, realm=self.settings.realm,
                                         subject=_subject(user_id), destination=phone,
                                         locale=locale)
        except StorageError:
            return TemporaryProblem()
        if isinstance(result, Sent):
            return CodeSent(int(B2_WHATSAPP.ttl.total_seconds() // 60))
        return result

    def request(self, user_id: str, field: str, raw: str | None, *, code: str | None = None
                ) -> Requested | FormErrors | TemporaryProblem:
        if field not in FIELDS:
            return FormErrors({"field": IdentifierError("field.not_in_list")})
        user = self._keycloak.get_user(self.settings.realm, user_id)
        if user is None:
            return TemporaryProblem()
        new = self._validated(user_id, field, raw, code)
        if isinstance(new, FormErrors):
            return new
        old = user.email if field == "email" else user.attributes.get(ATTRIBUTES[field], "")
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                # One request per field: two submits at once (PostgreSQL reads committed
                # rows) both found none pending and both added one.
                tx.sync_marks.hold(f"profile-change:{self.settings.realm}:{user_id}")
                if any(r.kind == KINDS[field] for r in
                       tx.account_requests.pending_of(realm=self.settings.realm,
                                                      user_id=user_id)):
                    return FormErrors({field: IdentifierError("change.pending")})
                row = tx.account_requests.add(
                    realm=self.settings.realm, user_id=user_id,
                    scope=user.attributes.get("instansi"), kind=KINDS[field],
                    data={"field": field, "old": old or "", "new": new},
                    requested_by=user_id, now=now)
                tx.audit.record(realm=self.settings.realm, occurred_at=now, actor=user_id,
                                subject_id=user_id,
                                event_type="bsre.profile_change.requested",
                                details={"request_id": row.id, "field": field})
        except StorageError:
            return TemporaryProblem()
        return Requested(row.id)

    def _validated(self, user_id: str, field: str, raw: str | None,
                   code: str | None) -> str | FormErrors:
        try:
            if field == "email":
                available = self.email_available(user_id, raw)
                return available if isinstance(available, FormErrors) else available.email
            if field == "jabatan":
                return parse_jabatan(raw)
            if field == "unit_organisasi":
                return parse_unit_organisasi(raw)
            phone = parse_mobile_number(raw).e164
        except IdentifierError as error:
            return FormErrors({field: error.on_field(field)})
        proof = self._codes.verify(policy=B2_WHATSAPP, realm=self.settings.realm,
                                   subject=_subject(user_id), code=(code or "")[:16])
        if not isinstance(proof, Verified) or proof.destination != phone:
            params = {"attempts_left": proof.attempts_left} if isinstance(proof, Wrong) else {}
            reason = "wrong" if isinstance(proof, Wrong) else "none"
            return FormErrors({"code": IdentifierError(f"code.{reason}", key=f"otp.{reason}",
                                                       **params)})
        return phone

    def pending(self, user_id: str) -> list[AccountRequestRecord]:
        with self._store.transaction() as tx:
            return [r for r in tx.account_requests.pending_of(realm=self.settings.realm,
                                                              user_id=user_id)
                    if r.kind in KINDS.values()]

    def signing_blocked(self, user_id: str) -> bool:
        """B13: no signing while a change waits (the certificate pages ask this)."""
        return bool(self.pending(user_id))

    # --- the officer ---------------------------------------------------------------------

    def queue(self, officer: Officer) -> list[AccountRequestRecord]:
        with self._store.transaction() as tx:
            rows, _ = tx.account_requests.pending_in_scope(
                realm=self.settings.realm, scope=officer.instansi, kinds=list(KINDS.values()),
                offset=0, limit=QUEUE_PAGE)
        # An officer's own proposals wait for the user, not for an officer; and an officer's
        # own requests wait for another officer (no one approves a change to themselves).
        return [r for r in rows if r.data.get("confirm_by") != CONFIRMED_BY_USER
                and r.user_id != officer.user_id]

    def decide(self, officer: Officer, request_id: int, *, approve: bool, reason: str = ""
               ) -> Decided | NotAllowed | AddressTaken | FormErrors | TemporaryProblem:
        if not approve:
            try:
                reason = parse_reason(reason)
            except IdentifierError as error:
                return FormErrors({"reason": error})
        realm = self.settings.realm
        with self._store.transaction() as tx:
            row = tx.account_requests.get(request_id)
        if row is None or row.kind not in KINDS.values() or row.status != "pending" or \
                not officer.may_see(row.scope) or row.user_id == officer.user_id or \
                row.data.get("confirm_by") == CONFIRMED_BY_USER:
            return NotAllowed()
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                if not tx.account_requests.decide(
                        request_id, status="approved" if approve else "rejected",
                        by=officer.user_id, now=now):
                    return NotAllowed()
                if approve:
                    # Inside: a failure rolls the decision back. The address's VERIFY_EMAIL
                    # mail goes through the outbox, so a mail failure cannot leave Keycloak
                    # changed and the request pending.
                    self._apply(tx, row.id, row.user_id, row.data, now=now)
                tx.audit.record(realm=realm, occurred_at=now, actor=officer.user_id,
                                subject_id=row.user_id,
                                event_type="bsre.profile_change."
                                           + ("approved" if approve else "rejected"),
                                details={"request_id": request_id,
                                         "field": row.data["field"],
                                         **({"reason": reason} if reason else {})})
                tx.outbox.enqueue(
                    kind=OUTBOX_DECIDED, now=now,
                    idempotency_key=f"bsre_profile_change:{request_id}",
                    payload={"realm": realm, "user_id": row.user_id,
                             "field": row.data["field"], "approved": approve,
                             "reason": reason})
        except StorageError:
            return TemporaryProblem()
        except UserAlreadyExists:  # Keycloak refused the address; the transaction rolled back
            return AddressTaken()
        return Decided(approve)

    # --- changes an officer makes, which the user confirms by mail ----------------------

    def propose(self, officer: Officer, user_id: str, field: str, raw: str | None
                ) -> Requested | FormErrors | NotAllowed | TemporaryProblem:
        """B13: an officer's change reaches the user as a mail with "Verifikasi" / "Tolak";
        nothing changes until the user confirms."""
        if field not in OFFICER_FIELDS:
            return NotAllowed()
        realm = self.settings.realm
        user = self._keycloak.get_user(realm, user_id)
        if user is None or not officer.may_see(user.attributes.get("instansi")) or \
                not may_act_on(self._keycloak, realm, officer, user_id):
            return NotAllowed()
        new = self._officer_value(user_id, field, raw, user.attributes.get("nik", ""))
        if isinstance(new, (FormErrors, TemporaryProblem)):
            return new
        old = user.email if field == "email" else user.attributes.get(ATTRIBUTES[field], "")
        now = self._clock()
        token = new_token()
        try:
            with self._store.transaction() as tx:
                if any(r.kind == KINDS[field] for r in
                       tx.account_requests.pending_of(realm=realm, user_id=user_id)):
                    return FormErrors({field: IdentifierError("change.pending")})
                row = tx.account_requests.add(
                    realm=realm, user_id=user_id, scope=user.attributes.get("instansi"),
                    kind=KINDS[field], requested_by=officer.user_id, now=now,
                    data={"field": field, "old": old or "", "new": new,
                          "confirm_by": CONFIRMED_BY_USER})
                tx.identity_checks.add(token_hash=token_hash(token), realm=realm,
                                       user_id=user_id, purpose=f"change:{row.id}",
                                       locale=user.attributes.get("locale", "id"), now=now,
                                       expires_at=now + CONFIRM_LIFETIME)
                tx.outbox.enqueue(
                    kind=OUTBOX_CONFIRMATION, now=now,
                    idempotency_key=f"bsre_change_confirmation:{row.id}",
                    payload={"realm": realm, "user_id": user_id, "field": field, "new": new,
                             "url": f"{self.settings.portal_url}/konfirmasi-perubahan/t/"
                                    f"{token}",
                             "expires_at": (now + CONFIRM_LIFETIME).isoformat()})
                tx.audit.record(realm=realm, occurred_at=now, actor=officer.user_id,
                                subject_id=user_id, event_type="bsre.profile_change.proposed",
                                details={"request_id": row.id, "field": field})
        except StorageError:
            return TemporaryProblem()
        return Requested(row.id)

    def _officer_value(self, user_id: str, field: str, raw: str | None,
                       nik: str) -> str | FormErrors | TemporaryProblem:
        if field != "nip":
            value = self._validated(user_id, field, raw, None)
            return value
        try:
            nip = parse_nip(raw)
            mismatch = check_nip_matches_nik(nip, parse_nik(nik))
        except IdentifierError as error:
            return FormErrors({"nip": error.on_field("nip")})
        if mismatch is not None:
            return FormErrors({"nip": mismatch.on_field("nip")})
        if self._bkn is not None:
            answer = self._bkn.verify_civil_servant(nip.value, nik)
            if isinstance(answer, Unavailable):
                return TemporaryProblem()
            if not isinstance(answer, Match):
                return FormErrors({"nip": IdentifierError("number.not_same_person")})
        return nip.value

    def confirmation(self, token: str | None) -> AccountRequestRecord | None:
        """The officer's change behind a mailed link, while the link is good."""
        if not plausible(token):
            return None
        with self._store.transaction() as tx:
            found = _pending_change(tx, token, now=self._clock())
        return None if found is None else found[1]

    def confirm(self, token: str, *, accept: bool) -> Decided | NotAllowed | AddressTaken:
        """"Verifikasi" applies the change ("Persetujuan update data berhasil"); "Tolak"
        drops it. The link works once (again after AddressTaken, which changed nothing)."""
        if not plausible(token):
            return NotAllowed()
        try:
            return self._decide(token, accept=accept)
        except UserAlreadyExists:  # Keycloak refused the address; the transaction rolled back
            return AddressTaken()

    def _decide(self, token: str, *, accept: bool) -> Decided | NotAllowed:
        realm = self.settings.realm
        now = self._clock()
        with self._store.transaction() as tx:
            found = _pending_change(tx, token, now=now)
            if found is None:
                return NotAllowed()
            check_id, row = found
            if not tx.identity_checks.use(check_id, now=now) or \
                    not tx.account_requests.decide(
                        row.id, status="approved" if accept else "rejected",
                        by=row.user_id, now=now):
                return NotAllowed()
            if accept:
                self._apply(tx, row.id, row.user_id, row.data, now=now)
            tx.audit.record(realm=realm, occurred_at=now, actor=row.user_id,
                            subject_id=row.user_id,
                            event_type="bsre.profile_change."
                                       + ("confirmed" if accept else "refused"),
                            details={"request_id": row.id, "field": row.data["field"]})
        return Decided(accept)

    def send_verify_email(self, delivery: Delivery) -> None:
        """``bsre.profile_change_verify_email``: Keycloak's VERIFY_EMAIL mail to the address
        an approved change set (retried by the outbox when Keycloak or its mail is down)."""
        self._keycloak.send_actions_email(
            delivery.payload["realm"], delivery.payload["user_id"], ["VERIFY_EMAIL"],
            client_id=self.settings.client_id, redirect_uri=f"{self.settings.portal_url}/profil",
            lifespan_seconds=3600)

    def _apply(self, tx: Transaction, request_id: int, user_id: str, data: dict[str, str], *,
               now: datetime) -> None:
        realm = self.settings.realm
        field, new = data["field"], data["new"]
        if field == "email":
            self._keycloak.update_user(realm, user_id, email=new, email_verified=False)
            tx.outbox.enqueue(kind=OUTBOX_VERIFY_EMAIL, now=now,
                              idempotency_key=f"bsre_profile_change_verify:{request_id}",
                              payload={"realm": realm, "user_id": user_id})
            return
        attributes = {ATTRIBUTES[field]: new}
        if field == "phone":
            attributes["phoneNumberVerified"] = "true"
        self._keycloak.update_user(realm, user_id, attributes=attributes)


def _pending_change(tx: Transaction, token: str, *, now: datetime
                    ) -> tuple[int, AccountRequestRecord] | None:
    """The usable check behind ``token`` and the pending change it confirms, or None."""
    check = tx.identity_checks.usable(token_hash(token), now=now, max_attempts=1)
    if check is None or not check.purpose.startswith("change:"):
        return None
    row = tx.account_requests.get(int(check.purpose.split(":", 1)[1]))
    return None if row is None or row.status != "pending" else (check.id, row)
