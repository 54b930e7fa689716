"""The BSrE activation wizard (B2–B4) behind the "Aktivasi Akun" link, three steps on the
invitation's pending row; everything typed is kept in the row, so a round trip loses nothing.

1. Data Diri: Nama Lengkap and NIK matched with Dukcapil; the email is the one the link went
   to (opening it proved the address); the Nomor HP proven by a 6-digit WhatsApp code
   (one_time_codes B2 policy: 15 minutes, 5 attempts, resend throttle). A change of number
   after the proof needs a new code.
2. Data Kedinasan: ASN dan POLRI -> NIP with BKN or NRP with SIPP (the registry holds NIK and
   number together: the same person); Lainnya -> Unit Organisasi, Jabatan, Provinsi.
3. Foto Diri: the selfie decoded and re-encoded (no EXIF/GPS), exactly one face, then the
   Dukcapil face match; stored encrypted (X3). Two consents with their times; Submit.

Submit ends the link (single use): ASN/Polri are verified by their registry and the account
is made at once (B5); Lainnya waits for the Verifikator. Logs carry row ids only (X3).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gerbang_sidecar.domain.bsre.activation_form import (
    INVITED,
    PERSONAL_FIELDS,
    SERVICE_FIELDS,
    EmploymentStatus,
    FieldErrors,
    NumberKind,
    validate_consents,
    validate_personal,
    validate_service,
)
from gerbang_sidecar.domain.identifiers import IdentifierError, parse_mobile_number
from gerbang_sidecar.domain.one_time_code import B2_WHATSAPP
from gerbang_sidecar.domain.registration_lifecycle import PENDING
from gerbang_sidecar.domain.registry_results import Match, NoMatch, NotFound, Unavailable
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.domain.tokens import plausible, token_hash
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.registries import Registries
from gerbang_sidecar.ports.selfies import CleanSelfie, SelfieInspector
from gerbang_sidecar.ports.storage import RegistrationRecord, StorageError, Store, Transaction
from gerbang_sidecar.services.bsre.invitations import BsreSettings
from gerbang_sidecar.services.one_time_codes import (
    Expired,
    Locked,
    NoActiveCode,
    OneTimeCodeService,
    Sent,
    Verified,
    Wrong,
)
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem

log = logging.getLogger(__name__)

OUTBOX_MAKE_ACCOUNT = "bsre.make_account"
SELFIE = "selfie"
JPEG = "image/jpeg"


@dataclass(frozen=True)
class Progress:
    """What the wizard's pages show: the row's data as typed and proven so far."""

    registration_id: int
    data: Mapping[str, Any]

    @property
    def phone_verified(self) -> str | None:
        return self.data.get("phone_verified")

    @property
    def step(self) -> int:
        """The furthest step the user may open."""
        if "personal" not in self.data:
            return 1
        if "service" not in self.data:
            return 2
        return 3


@dataclass(frozen=True)
class StepDone:
    pass


@dataclass(frozen=True)
class CodeSent:
    expires_in_minutes: int


@dataclass(frozen=True)
class PhoneVerified:
    phone: str


@dataclass(frozen=True)
class Submitted:
    automatic: bool  # ASN/Polri: verified now; Lainnya: waits for the Verifikator


@dataclass(frozen=True)
class LinkDead:
    """Unknown, expired or already submitted: the verifier can send a new link."""


class Activation:
    def __init__(self, store: Store, registries: Registries, codes: OneTimeCodeService,
                 selfies: SelfieInspector, clock: Clock, settings: BsreSettings) -> None:
        self._store = store
        self._registries = registries
        self._codes = codes
        self._selfies = selfies
        self._clock = clock
        self.settings = settings

    def open(self, token: str | None) -> Progress | None:
        if not token:
            return None
        with self._store.transaction() as tx:
            row = self._live(tx, token)
            return None if row is None else Progress(row.id, dict(row.data))

    # --- step 1: Data Diri -------------------------------------------------------------

    def send_code(self, token: str, phone_raw: str | None
                  ) -> CodeSent | TooEarly | FormErrors | LinkDead | TemporaryProblem:
        try:
            phone = parse_mobile_number(phone_raw).e164
        except IdentifierError as error:
            return FormErrors({"phone": error.on_field("phone")})
        try:
            with self._store.transaction() as tx:
                row = self._live(tx, token)
                if row is None:
                    return LinkDead()
                result = self._codes.request(policy=B2_WHATSAPP, realm=self.settings.realm,
                                             subject=_subject(row), destination=phone,
                                             locale=row.locale, tx=tx)
                if isinstance(result, Sent):
                    tx.audit.record(realm=self.settings.realm, occurred_at=self._clock(),
                                    event_type="bsre.activation.phone_code_sent",
                                    details={"registration_id": row.id})
        except StorageError:
            return TemporaryProblem()
        if isinstance(result, TooEarly):
            return result
        return CodeSent(int(B2_WHATSAPP.ttl.total_seconds() // 60))

    def verify_code(self, token: str, code: str | None
                    ) -> PhoneVerified | FormErrors | LinkDead | TemporaryProblem:
        try:
            with self._store.transaction() as tx:
                row = self._live(tx, token)
                if row is None:
                    return LinkDead()
                result = self._codes.verify(policy=B2_WHATSAPP, realm=self.settings.realm,
                                            subject=_subject(row), code=(code or "")[:16],
                                            tx=tx)
                if isinstance(result, Verified):
                    tx.registrations.set_pending_data(
                        row.id, data={**row.data, "phone_verified": result.destination})
                    tx.audit.record(realm=self.settings.realm, occurred_at=self._clock(),
                                    event_type="bsre.activation.phone_verified",
                                    details={"registration_id": row.id})
        except StorageError:
            return TemporaryProblem()
        if isinstance(result, Verified):
            return PhoneVerified(result.destination)
        reason = {Wrong: "wrong", Expired: "expired", Locked: "locked",
                  NoActiveCode: "none"}[type(result)]
        params = {"attempts_left": result.attempts_left} if isinstance(result, Wrong) else {}
        return FormErrors({"code": IdentifierError(f"code.{reason}", key=f"otp.{reason}",
                                                   **params)})

    def personal(self, token: str, form: Mapping[str, str | None]
                 ) -> StepDone | FormErrors | LinkDead | TemporaryProblem:
        kept = {f: str(form.get(f) or "") for f in PERSONAL_FIELDS}
        validated = validate_personal(form)
        with self._store.transaction() as tx:
            row = self._live(tx, token)
        if row is None:
            return LinkDead()
        errors = dict(validated.errors) if isinstance(validated, FieldErrors) else {}
        if not isinstance(validated, FieldErrors):
            # The NIK is the one the Verifikator registered (B1): the page shows it fixed.
            if validated["nik"] != row.data["invited"]["nik"]:
                errors["nik"] = IdentifierError("nik.not_invited")
            if row.data.get("phone_verified") != validated["phone"]:
                errors["phone"] = IdentifierError("phone.not_verified")
        if errors:
            return self._keep(row, "personal_form", kept, FormErrors(errors, kept))
        assert not isinstance(validated, FieldErrors)
        answer = self._registries.dukcapil.verify_identity(validated["nik"],
                                                            name=validated["name"])
        if isinstance(answer, Unavailable):
            log.warning("bsre activation: registry %s unavailable (%s)", answer.registry,
                        answer.reason)
            return self._keep(row, "personal_form", kept, TemporaryProblem())
        if isinstance(answer, NoMatch):
            fields = ["name" if m == "name" else "nik" for m in answer.mismatched] or ["nik"]
            return self._keep(row, "personal_form", kept, FormErrors(
                {f: IdentifierError(f"{f}.dukcapil_mismatch") for f in fields}, kept))
        if not isinstance(answer, Match):
            return self._keep(row, "personal_form", kept, FormErrors(
                {"nik": IdentifierError("nik.dukcapil_not_found")}, kept))
        return self._save(row.id, {"personal_form": kept, "personal": validated},
                          "bsre.activation.personal_checked")

    # --- step 2: Data Kedinasan ----------------------------------------------------------

    def service(self, token: str, form: Mapping[str, str | None]
                ) -> Mapping[str, str] | FormErrors | LinkDead | TemporaryProblem:
        """Check and keep the step ("Cek NIP / NRP" and "Lanjut" both call this); the
        registry's answer (name, unit, jabatan) comes back for the page to show."""
        kept = {f: str(form.get(f) or "") for f in SERVICE_FIELDS}
        with self._store.transaction() as tx:
            row = self._live(tx, token)
        if row is None or "personal" not in row.data:
            return LinkDead()
        validated = validate_service(form, row.data["personal"]["nik"])
        if isinstance(validated, FieldErrors):
            return self._keep(row, "service_form", kept, FormErrors(validated.errors, kept))
        if validated["status"] == EmploymentStatus.ASN_POLRI.value:
            found = self._ask_registry(validated, row.data["personal"]["nik"])
            if not isinstance(found, dict):
                result = found if isinstance(found, TemporaryProblem) else \
                    FormErrors({"number": found}, kept)
                return self._keep(row, "service_form", kept, result)
            validated = {**validated, "registry": found}
        saved = self._save(row.id, {"service_form": kept, "service": validated},
                           "bsre.activation.service_checked")
        return saved if not isinstance(saved, StepDone) else validated.get("registry", {})

    def _ask_registry(self, service: Mapping[str, str], nik: str
                      ) -> dict[str, str] | IdentifierError | TemporaryProblem:
        if service["number_kind"] == NumberKind.NIP.value:
            answer: Any = self._registries.bkn.verify_civil_servant(service["number"], nik)
        else:
            answer = self._registries.sipp.verify_officer(service["number"], nik)
        if isinstance(answer, Unavailable):
            log.warning("bsre activation: registry %s unavailable (%s)", answer.registry,
                        answer.reason)
            return TemporaryProblem()
        if isinstance(answer, NoMatch):
            return IdentifierError("number.not_same_person")
        if isinstance(answer, NotFound) or not isinstance(answer, Match):
            return IdentifierError(f"number.{service['number_kind']}_not_found")
        data = answer.data
        if service["number_kind"] == NumberKind.NIP.value:
            return {"name": data.name, "instansi": data.instansi,
                    "unit_organisasi": data.unit_organisasi, "jabatan": data.jabatan}
        return {"name": data.name, "unit_organisasi": data.satuan, "jabatan": data.pangkat}

    # --- step 3: Foto Diri and Submit ----------------------------------------------------

    def selfie(self, token: str, content: bytes
               ) -> StepDone | FormErrors | LinkDead | TemporaryProblem:
        with self._store.transaction() as tx:
            row = self._live(tx, token)
        if row is None or "service" not in row.data:
            return LinkDead()
        verdict = self._selfies.inspect(content)
        if not isinstance(verdict, CleanSelfie):
            return FormErrors({"photo": IdentifierError(f"photo.{verdict.reason}")})
        answer = self._registries.dukcapil.compare_face(row.data["personal"]["nik"],
                                                        verdict.jpeg)
        if isinstance(answer, Unavailable):
            log.warning("bsre activation: face match unavailable (%s)", answer.reason)
            return TemporaryProblem()
        if not isinstance(answer, Match):
            reason = "face_mismatch" if isinstance(answer, NoMatch) else "no_reference"
            self._audit(row.id, "bsre.activation.selfie_refused", {"reason": reason})
            return FormErrors({"photo": IdentifierError(f"photo.{reason}")})
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                current = self._live(tx, token)
                if current is None:
                    return LinkDead()
                tx.registrations.put_document(current.id, kind=SELFIE, media_type=JPEG,
                                              content=verdict.jpeg, now=now)
                tx.registrations.set_pending_data(current.id, data={
                    **current.data, "selfie": {"score": answer.data.score,
                                               "at": now.isoformat()}})
                tx.audit.record(realm=self.settings.realm, occurred_at=now,
                                event_type="bsre.activation.selfie_matched",
                                details={"registration_id": current.id,
                                         "score": answer.data.score})
        except StorageError:
            return TemporaryProblem()
        return StepDone()

    def submit(self, token: str, form: Mapping[str, str | None]
               ) -> Submitted | FormErrors | LinkDead | TemporaryProblem:
        refused = validate_consents(form)
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                row = self._live(tx, token)
                if row is None or "service" not in row.data:
                    return LinkDead()
                errors = dict(refused.errors) if refused else {}
                if "selfie" not in row.data:
                    errors["photo"] = IdentifierError("photo.required")
                if errors:
                    return FormErrors(errors)
                stamp = now.isoformat()
                data = {**row.data, "consents": {"consent_data": stamp,
                                                 "consent_privacy": stamp}}
                automatic = data["service"]["status"] == EmploymentStatus.ASN_POLRI.value
                tx.registrations.set_pending_data(row.id, data=data)
                if automatic:
                    moved = tx.registrations.accept(token_hash(token),
                                                    realm=self.settings.realm,
                                                    now=now,
                                                    pending_since=row.created_at
                                                    - self.settings.link_lifetime)
                    if moved:
                        tx.outbox.enqueue(kind=OUTBOX_MAKE_ACCOUNT, now=now,
                                          idempotency_key=f"bsre_make_account:{row.id}",
                                          payload={"registration_id": row.id})
                else:
                    moved = tx.registrations.submit_for_review(row.id, now=now)
                if not moved:
                    return LinkDead()
                tx.audit.record(realm=self.settings.realm, occurred_at=now,
                                event_type="bsre.activation.submitted",
                                details={"registration_id": row.id,
                                         "consents": ["data_processing", "privacy_policy"],
                                         "verification": "automatic" if automatic
                                         else "verifikator"})
        except StorageError:
            return TemporaryProblem()
        log.info("bsre activation %s submitted", row.id)
        return Submitted(automatic)

    # --- helpers -------------------------------------------------------------------------

    def _live(self, tx: Transaction, token: str) -> RegistrationRecord | None:
        if not plausible(token):
            return None
        row = tx.registrations.by_token_hash(token_hash(token))
        if row is None or row.realm != self.settings.realm or \
                row.registration_type != INVITED or row.status != PENDING or \
                row.expires_at is None or row.expires_at <= self._clock():
            return None
        return row

    def _keep(self, row: RegistrationRecord, key: str, kept: Mapping[str, str],
              result: Any) -> Any:
        """Remember what was typed even when the step is refused (a round trip loses
        nothing); the refusal is returned as it was."""
        try:
            with self._store.transaction() as tx:
                tx.registrations.set_pending_data(row.id, data={**row.data, key: dict(kept)})
        except StorageError:
            pass  # the page still shows what was typed; the next try stores it
        return result

    def _save(self, registration_id: int, changes: Mapping[str, Any],
              event: str) -> StepDone | LinkDead | TemporaryProblem:
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                row = tx.registrations.get(registration_id)
                if row is None or not tx.registrations.set_pending_data(
                        registration_id, data={**row.data, **changes}):
                    return LinkDead()
                tx.audit.record(realm=self.settings.realm, occurred_at=now, event_type=event,
                                details={"registration_id": registration_id})
        except StorageError:
            return TemporaryProblem()
        return StepDone()

    def _audit(self, registration_id: int, event: str, details: Mapping[str, Any]) -> None:
        try:
            with self._store.transaction() as tx:
                tx.audit.record(realm=self.settings.realm, occurred_at=self._clock(),
                                event_type=event,
                                details={"registration_id": registration_id, **details})
        except StorageError:
            log.warning("bsre activation %s: audit not written", registration_id)


def _subject(row: RegistrationRecord) -> str:
    return f"activation:{row.id}"
