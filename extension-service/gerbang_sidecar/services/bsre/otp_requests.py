"""B9 "Permohonan OTP": the Helpdesk form for a new OTP device (also for a user who lost every
device), then "Pengecekan Data Diri" -- a selfie re-check -- then "Konfigurasi OTP".

1. ``submit`` (public page): Nama Lengkap, Asal Instansi, Nomor Telepon/HP, NIK, Deskripsi.
   Whatever was typed, the page answers the same and the request is only queued (X1): the
   outbox worker looks for the account later.
2. ``process`` (outbox): the account whose NIK, name and number all agree gets a mail with a
   single-use "Pengecekan Data Diri" link (1 hour, 3 selfie attempts); anything else is
   recorded and nothing is sent.
3. ``check`` (the link's page): the selfie -- the same inspection as the activation's -- and
   the Dukcapil face match for the account's NIK. Then the oldest device goes if three exist
   (room for the new one, B9) and Keycloak mails its CONFIGURE_TOTP link (1 hour).

Logs carry ids and outcomes, never what was typed (X3).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from gerbang_sidecar.domain.identifiers import (
    IdentifierError,
    parse_mobile_number,
    parse_nik,
    parse_organisation_name,
    parse_person_name,
)
from gerbang_sidecar.domain.registry_results import Match, NoMatch, Unavailable
from gerbang_sidecar.domain.tokens import new_token, plausible, token_hash
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import (
    KeycloakError,
    KeycloakUnavailable,
    KeycloakUsers,
    UserRecord,
)
from gerbang_sidecar.ports.registries import Dukcapil
from gerbang_sidecar.ports.selfies import CleanSelfie, SelfieInspector
from gerbang_sidecar.ports.storage import IdentityCheckRecord, StorageError, Store
from gerbang_sidecar.services.bsre.invitations import BsreSettings
from gerbang_sidecar.services.bsre.otp_devices import OtpDeviceCap
from gerbang_sidecar.services.identity_index import IdentityIndex
from gerbang_sidecar.services.outbox_worker import Delivery
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.texts import normalise

log = logging.getLogger(__name__)

OUTBOX_OTP_REQUEST = "bsre.otp_request"
OUTBOX_CHECK_LINK = "bsre.identity_check_link"
FIELDS = ("name", "instansi", "phone", "nik", "description")
MAX_DESCRIPTION = 1000
CHECK_LIFETIME = timedelta(hours=1)
CHECK_ATTEMPTS = 3
CONFIGURE_LINK_LIFESPAN = timedelta(hours=1)
PURPOSE = "otp_device"


@dataclass(frozen=True)
class Received:
    """The same answer for everyone (X1)."""


@dataclass(frozen=True)
class Checked:
    pass


@dataclass(frozen=True)
class CheckDead:
    """Unknown, used, expired or out of attempts."""


def _validate(form: Mapping[str, str | None]) -> dict[str, str] | FormErrors:
    values: dict[str, str] = {}
    errors: dict[str, IdentifierError] = {}
    rules = {"name": lambda raw: parse_person_name(raw).value,
             "instansi": lambda raw: parse_organisation_name(raw).value,
             "phone": lambda raw: parse_mobile_number(raw).e164,
             "nik": lambda raw: parse_nik(raw).value}
    for field, parse in rules.items():
        try:
            values[field] = parse(form.get(field))
        except IdentifierError as error:
            errors[field] = error.on_field(field)
    description = " ".join((form.get("description") or "").split())
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = IdentifierError("description.too_long",
                                                key="reason.too_long",
                                                max_length=MAX_DESCRIPTION)
    values["description"] = description
    kept = {f: str(form.get(f) or "") for f in FIELDS}
    return FormErrors(errors, kept) if errors else values


class OtpRequests:
    def __init__(self, store: Store, keycloak: KeycloakUsers, dukcapil: Dukcapil,
                 selfies: SelfieInspector, cap: OtpDeviceCap, clock: Clock,
                 settings: BsreSettings, index: IdentityIndex) -> None:
        self._store = store
        self._keycloak = keycloak
        self._dukcapil = dukcapil
        self._selfies = selfies
        self._cap = cap
        self._clock = clock
        self.settings = settings
        self._index = index

    def submit(self, form: Mapping[str, str | None], locale: str = "id"
               ) -> Received | FormErrors | TemporaryProblem:
        validated = _validate(form)
        if isinstance(validated, FormErrors):
            return validated
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                tx.outbox.enqueue(kind=OUTBOX_OTP_REQUEST, now=now,
                                  idempotency_key=f"bsre_otp_request:{new_token()}",
                                  payload={**validated, "locale": normalise(locale) or "id"})
                tx.audit.record(realm=self.settings.realm, occurred_at=now,
                                event_type="bsre.otp_request.received", details={})
        except StorageError:
            return TemporaryProblem()
        return Received()

    def process(self, delivery: Delivery) -> None:
        """The outbox handler: find the account, mail the check link if everything agrees."""
        p = delivery.payload
        realm = self.settings.realm
        user = self._account(p["nik"])
        matched = user is not None and user.enabled and user.email and \
            " ".join(user.first_name.split()).casefold() == p["name"].casefold() and \
            user.attributes.get("phoneNumber") == p["phone"]
        now = self._clock()
        with self._store.transaction() as tx:
            if not matched or user is None:
                tx.audit.record(realm=realm, occurred_at=now,
                                event_type="bsre.otp_request.unmatched",
                                details={"message_id": delivery.message_id})
                return
            # One live link a user (the add ends the older ones): two requests handled at
            # once by two outbox threads must not both find none to end.
            tx.sync_marks.hold(f"identity-check:{realm}:{user.id}:{PURPOSE}")
            token = new_token()
            check = tx.identity_checks.add(
                token_hash=token_hash(token), realm=realm, user_id=user.id, purpose=PURPOSE,
                locale=p.get("locale", "id"), now=now, expires_at=now + CHECK_LIFETIME)
            tx.outbox.enqueue(
                kind=OUTBOX_CHECK_LINK, now=now,
                idempotency_key=f"bsre_identity_check:{check.id}",
                payload={"realm": realm, "user_id": user.id, "locale": p.get("locale", "id"),
                         "url": f"{self.settings.portal_url}/pengecekan-data-diri/t/{token}",
                         "minutes": int(CHECK_LIFETIME.total_seconds() // 60),
                         "expires_at": (now + CHECK_LIFETIME).isoformat()})
            tx.audit.record(realm=realm, occurred_at=now, subject_id=user.id,
                            event_type="bsre.identity_check.sent",
                            details={"purpose": PURPOSE, "check_id": check.id})
        log.info("bsre otp request: identity check %s sent", check.id)

    def open(self, token: str | None) -> IdentityCheckRecord | None:
        if not token or not plausible(token):
            return None
        with self._store.transaction() as tx:
            check = tx.identity_checks.usable(token_hash(token), now=self._clock(),
                                              max_attempts=CHECK_ATTEMPTS)
        # A B13 confirmation link is an identity check too, of another purpose: it must not
        # take a device away past the Helpdesk request (found by review).
        return check if check is not None and check.purpose == PURPOSE else None

    def check(self, token: str, content: bytes
              ) -> Checked | FormErrors | CheckDead | TemporaryProblem:
        check = self.open(token)
        if check is None:
            return CheckDead()
        verdict = self._selfies.inspect(content)
        if not isinstance(verdict, CleanSelfie):
            return FormErrors({"photo": IdentifierError(f"photo.{verdict.reason}")})
        realm = self.settings.realm
        # Each step is claimed before it is taken, so two tabs (or a burst of selfies)
        # cannot both pass: an attempt before the face is compared, the link itself before
        # Keycloak makes room and mails -- each given back when it never happened.
        with self._store.transaction() as tx:
            if not tx.identity_checks.take_attempt(check.id, max_attempts=CHECK_ATTEMPTS):
                return CheckDead()
        try:
            user = self._keycloak.get_user(realm, check.user_id)
            if user is None or not user.attributes.get("nik"):
                return CheckDead()
            answer = self._dukcapil.compare_face(user.attributes["nik"], verdict.jpeg)
        except KeycloakUnavailable:
            self._give_back(check.id, attempt=True)
            return TemporaryProblem()
        except KeycloakError:
            return CheckDead()
        if isinstance(answer, Unavailable):
            self._give_back(check.id, attempt=True)
            return TemporaryProblem()
        if not isinstance(answer, Match):
            reason = "face_mismatch" if isinstance(answer, NoMatch) else "no_reference"
            with self._store.transaction() as tx:
                tx.audit.record(realm=realm, occurred_at=self._clock(),
                                subject_id=check.user_id,
                                event_type="bsre.identity_check.failed",
                                details={"reason": reason})
            return FormErrors({"photo": IdentifierError(f"photo.{reason}")})
        now = self._clock()
        with self._store.transaction() as tx:
            if not tx.identity_checks.use(check.id, now=now):
                return CheckDead()  # another tab used it a moment ago
        try:
            # Room first, then Keycloak's link.
            self._cap.enforce(check.user_id, room_for=1, reason="permohonan_otp")
            self._keycloak.send_actions_email(
                realm, check.user_id, ["CONFIGURE_TOTP"], client_id=self.settings.client_id,
                redirect_uri=f"{self.settings.portal_url}/dashboard",
                lifespan_seconds=int(CONFIGURE_LINK_LIFESPAN.total_seconds()))
        except KeycloakUnavailable:
            self._give_back(check.id, attempt=False)
            return TemporaryProblem()
        except KeycloakError:
            return CheckDead()
        try:
            with self._store.transaction() as tx:
                tx.audit.record(realm=realm, occurred_at=now, subject_id=check.user_id,
                                actor=check.user_id, event_type="bsre.identity_check.passed",
                                details={"purpose": PURPOSE, "score": answer.data.score})
                tx.audit.record(realm=realm, occurred_at=now, subject_id=check.user_id,
                                event_type="bsre.otp_link.sent", details={})
        except StorageError:
            log.error("bsre identity check %s passed, not recorded", check.id)
        return Checked()

    def _give_back(self, check_id: int, *, attempt: bool) -> None:
        try:
            with self._store.transaction() as tx:
                if attempt:
                    tx.identity_checks.give_back_attempt(check_id)
                else:
                    tx.identity_checks.give_back(check_id)
        except StorageError:
            log.warning("bsre identity check %s: not given back", check_id)

    def _account(self, nik: str) -> UserRecord | None:
        found = self._index.accounts_holding(self.settings.realm, "nik", nik)
        return found[0] if found else None
