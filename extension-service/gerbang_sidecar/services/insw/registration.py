"""The INSW organisation registration (I1–I3), three steps on one pending registration.

1. ``organisation``: NIB, NPWP and the Penanggung Jawab's NIK, all three held together by
   OSS (I1). A mismatch names the kind of data OSS holds otherwise (never its value) and
   sends the user to OSS to correct it. The pending registration is made (or updated) here.
2. ``person``: the responsible person's own data (I2).
3. ``submit``: the Surat Kuasa -- at most 1 MB, a plain PDF (the document port) -- stored
   encrypted with the registration, the terms accepted, and "Daftar": the registration waits
   ``in_review`` for an INSW reviewer (I4), who has 24 hours.

The steps' token travels in the page's session cookie. Logs carry registration ids and
outcomes, never an identifier (X3).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.domain.insw.registration_form import (
    DOCUMENT_FIELD,
    ORGANISATION_FIELDS,
    PERSON_FIELDS,
    REGISTRATION_TYPE,
    TERMS_FIELD,
    FieldErrors,
    check_document_size,
    terms_accepted,
    validate_organisation,
    validate_person,
)
from gerbang_sidecar.domain.registration_lifecycle import IN_REVIEW, PENDING
from gerbang_sidecar.domain.registry_results import Match, NoMatch, Unavailable
from gerbang_sidecar.domain.tokens import new_token, plausible, token_hash
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.documents import PdfInspector, RefusedDocument
from gerbang_sidecar.ports.registries import Oss
from gerbang_sidecar.ports.storage import RegistrationRecord, StorageError, Store
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.texts import normalise

log = logging.getLogger(__name__)

SURAT_KUASA = "surat_kuasa"
PDF = "application/pdf"
# OSS names the field that disagrees; the form names it so.
_OSS_FIELDS = {"npwp": "npwp", "responsible_nik": "nik", "nib": "nib"}


@dataclass(frozen=True)
class InswRegistrationSettings:
    realm: str = "insw"
    # The steps must be finished within a day; the data is personal.
    pending_lifetime: timedelta = timedelta(hours=24)
    review_within: timedelta = timedelta(hours=24)  # I4: "1x24 jam"


@dataclass(frozen=True)
class StepDone:
    token: str


@dataclass(frozen=True)
class InReview:
    organisation: str
    name: str


@dataclass(frozen=True)
class NotStarted:
    """No pending registration behind the token (unknown, expired, or already submitted)."""


class InswRegistrations:
    def __init__(self, store: Store, oss: Oss, pdf: PdfInspector, clock: Clock,
                 settings: InswRegistrationSettings | None = None) -> None:
        self._store = store
        self._oss = oss
        self._pdf = pdf
        self._clock = clock
        self.settings = settings or InswRegistrationSettings()

    # --- step 1 ------------------------------------------------------------------------

    def organisation(self, form: Mapping[str, str | None], token: str | None,
                     lang: str = "id") -> StepDone | FormErrors | TemporaryProblem:
        kept = {f: str(form.get(f) or "") for f in ORGANISATION_FIELDS}
        validated = validate_organisation(form)
        if isinstance(validated, FieldErrors):
            return FormErrors(validated.errors, kept)
        answer = self._oss.verify_business(validated["nib"], validated["npwp"],
                                           validated["nik"])
        if isinstance(answer, Unavailable):
            log.warning("insw registration: registry %s unavailable (%s)", answer.registry,
                        answer.reason)
            return TemporaryProblem()
        if isinstance(answer, NoMatch):
            fields = [_OSS_FIELDS.get(m, "nib") for m in answer.mismatched] or ["nib"]
            return FormErrors({f: IdentifierError(f"{f}.oss_mismatch") for f in fields}, kept)
        if not isinstance(answer, Match):
            return FormErrors({"nib": IdentifierError("nib.oss_not_found")}, kept)
        organisation = {**validated, "name": answer.data.name}
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                row = self._pending(tx, token) if token else None
                if row is not None:
                    tx.registrations.set_pending_data(
                        row.id, data={**row.data, "organisation": organisation})
                    return StepDone(token)  # type: ignore[arg-type]
                token = new_token()
                row = tx.registrations.add(
                    token_hash=token_hash(token), realm=self.settings.realm,
                    registration_type=REGISTRATION_TYPE, data={"organisation": organisation},
                    locale=normalise(lang) or "id", now=now)
                tx.audit.record(realm=self.settings.realm, occurred_at=now,
                                event_type="insw.registration.started",
                                details={"registration_id": row.id, "checks": ["oss"]})
        except StorageError as exc:
            log.warning("insw registration: %s", type(exc).__name__)
            return TemporaryProblem()
        return StepDone(token)

    # --- step 2 ------------------------------------------------------------------------

    def person(self, token: str, form: Mapping[str, str | None]
               ) -> StepDone | FormErrors | NotStarted | TemporaryProblem:
        kept = {f: str(form.get(f) or "") for f in PERSON_FIELDS}
        validated = validate_person(form)
        if isinstance(validated, FieldErrors):
            return FormErrors(validated.errors, kept)
        try:
            with self._store.transaction() as tx:
                row = self._pending(tx, token)
                if row is None:
                    return NotStarted()
                tx.registrations.set_pending_data(
                    row.id, data={**row.data, "person": validated, "person_form": kept})
        except StorageError:
            return TemporaryProblem()
        return StepDone(token)

    # --- step 3 ------------------------------------------------------------------------

    def submit(self, token: str, document: bytes, terms: str | None
               ) -> InReview | FormErrors | NotStarted | TemporaryProblem:
        errors: dict[str, IdentifierError] = {}
        if (size_error := check_document_size(len(document))) is not None:
            errors[DOCUMENT_FIELD] = size_error
        else:
            verdict = self._pdf.inspect(document)
            if isinstance(verdict, RefusedDocument):
                errors[DOCUMENT_FIELD] = IdentifierError(f"surat_kuasa.{verdict.reason}")
        if (terms_error := terms_accepted(terms)) is not None:
            errors[TERMS_FIELD] = terms_error
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                row = self._pending(tx, token)
                if row is None or "person" not in row.data:
                    return NotStarted()
                if errors:
                    return FormErrors(errors)
                tx.registrations.put_document(row.id, kind=SURAT_KUASA, media_type=PDF,
                                              content=document, now=now)
                if not tx.registrations.submit_for_review(row.id, now=now):
                    return NotStarted()
                tx.audit.record(realm=self.settings.realm, occurred_at=now,
                                event_type="insw.registration.submitted",
                                details={"registration_id": row.id,
                                         "document_bytes": len(document)})
        except StorageError:
            return TemporaryProblem()
        log.info("insw registration %s waits for review", row.id)
        return InReview(organisation=row.data["organisation"]["name"],
                        name=row.data["person"]["name"])

    # --- what the pages show -----------------------------------------------------------

    def progress(self, token: str | None) -> Mapping[str, Any] | None:
        """The pending registration's steps as typed (for "Kembali"), None when none."""
        if not token:
            return None
        with self._store.transaction() as tx:
            row = self._pending(tx, token)
            return None if row is None else dict(row.data)

    def in_review(self, token: str | None) -> InReview | None:
        if not token or not plausible(token):
            return None
        with self._store.transaction() as tx:
            row = tx.registrations.by_token_hash(token_hash(token))
        if row is None or row.realm != self.settings.realm or row.status != IN_REVIEW:
            return None
        return InReview(organisation=row.data["organisation"]["name"],
                        name=row.data["person"]["name"])

    def _pending(self, tx: Any, token: str) -> RegistrationRecord | None:
        if not plausible(token):
            return None
        row = tx.registrations.by_token_hash(token_hash(token))
        if row is None or row.realm != self.settings.realm or row.status != PENDING or \
                row.created_at <= self._clock() - self.settings.pending_lifetime:
            return None
        return row
