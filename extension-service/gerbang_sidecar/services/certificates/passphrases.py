"""B22 "Ubah Passphrase": the holder of an Issued certificate types the old passphrase, the new
one twice and consents; the key is re-sealed under the new passphrase and the certificate
stays. A Verifikator "may also change it" -- but the manual says the passphrase is set by the
holder alone and never delegated, so the officer's action mails the holder the way to the
"Ubah Passphrase" page. Five wrong old passphrases in a row lock the certificate until a
reset (X7 counts the same attempts when signing). The passphrases are never stored or
logged; each change and each wrong attempt goes to the audit trail (X4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gerbang_sidecar.domain.certificates.passphrase import check_passphrase
from gerbang_sidecar.domain.certificates.profiles import in_force
from gerbang_sidecar.domain.consent import is_ticked
from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.ports.ca import SubscriberKeys, WrongPassphrase
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.metrics import NO_METRICS, Metrics
from gerbang_sidecar.ports.storage import StorageError, Store
from gerbang_sidecar.services.bsre.invitations import BsreSettings
from gerbang_sidecar.services.bsre.officers import Officer
from gerbang_sidecar.services.certificates.issuance import record_agreement
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem

MAX_WRONG = 5
OUTBOX_CHANGE_INVITED = "bsre.passphrase_change_invited"


@dataclass(frozen=True)
class Invited:
    serial_number: str


@dataclass(frozen=True)
class Changed:
    at: datetime


@dataclass(frozen=True)
class Locked:
    """Five wrong passphrases: only a reset (B22) opens it again."""


@dataclass(frozen=True)
class NotChangeable:
    """Not the holder's, or not Issued."""


@dataclass(frozen=True)
class ChangedMeanwhile:
    """Another request changed the passphrase after this one read the key (a double
    submit): that change holds, this one changed nothing."""


class PassphraseChanges:
    def __init__(self, store: Store, keycloak: KeycloakUsers, keys: SubscriberKeys,
                 clock: Clock, settings: BsreSettings, *, metrics: Metrics = NO_METRICS) -> None:
        self._metrics = metrics
        self._store = store
        self._keycloak = keycloak
        self._keys = keys
        self._clock = clock
        self.settings = settings

    def change(self, user_id: str, certificate_id: int, old: str | None, new: str | None,
               confirmation: str | None, consent: str | None
               ) -> Changed | ChangedMeanwhile | FormErrors | Locked | NotChangeable:
        with self._store.transaction() as tx:
            row = tx.certificates.certificate(certificate_id)
            sealed = tx.certificates.pkcs12_of(certificate_id)
        if row is None or sealed is None or row.user_id != user_id or \
                not in_force(row.status, row.not_after, self._clock()):
            return NotChangeable()
        if row.failed_passphrases >= MAX_WRONG:
            return Locked()
        errors: dict[str, IdentifierError] = {}
        if not old:
            errors["old_passphrase"] = IdentifierError("old_passphrase.required",
                                                       key="passphrase.required")
        try:
            check_passphrase(new, confirmation)
        except IdentifierError as error:
            errors[error.field] = error
        if not is_ticked(consent):
            errors["consent"] = IdentifierError("consent.required", key="consent.required")
        if errors:
            return FormErrors(errors)
        assert old is not None and new is not None
        realm = self.settings.realm
        now = self._clock()
        wrong = reserve_attempt(self._store, certificate_id)
        if wrong is None:
            return Locked()
        try:
            resealed = self._keys.reseal(sealed, old, new)
        except WrongPassphrase:
            with self._store.transaction() as tx:
                tx.audit.record(realm=realm, occurred_at=now, actor=user_id,
                                subject_id=user_id, event_type="bsre.certificate.passphrase_wrong",
                                details={"serial_number": row.serial_number, "in_a_row": wrong})
            self._metrics.certificate_operation("passphrase_failed")
            if wrong >= MAX_WRONG:
                return Locked()
            return FormErrors({"old_passphrase": IdentifierError(
                "old_passphrase.wrong", key="passphrase.wrong",
                attempts_left=MAX_WRONG - wrong)})
        except BaseException:
            give_back_attempt(self._store, certificate_id)
            raise
        with self._store.transaction() as tx:
            tx.sync_marks.hold(f"certificate-key:{certificate_id}")
            if tx.certificates.pkcs12_of(certificate_id) != sealed:
                # Another change sealed the key since this one read it: that passphrase
                # holds, and this change says so rather than silently replace it.
                tx.certificates.give_back_passphrase_attempt(certificate_id)
                return ChangedMeanwhile()
            tx.certificates.replace_pkcs12(certificate_id, resealed)
            tx.audit.record(realm=realm, occurred_at=now, actor=user_id, subject_id=user_id,
                            event_type="bsre.certificate.passphrase_changed",
                            details={"serial_number": row.serial_number})
        record_agreement(self._keycloak, realm, user_id, now)
        return Changed(now)

    def invite_change(self, officer: Officer, certificate_id: int
                      ) -> Invited | NotChangeable | TemporaryProblem:
        """B22: the officer starts a change for an Issued certificate of the instansi."""
        with self._store.transaction() as tx:
            row = tx.certificates.certificate(certificate_id)
        if row is None or not in_force(row.status, row.not_after, self._clock()):
            return NotChangeable()
        user = self._keycloak.get_user(self.settings.realm, row.user_id)
        if user is None or not user.enabled or \
                not officer.may_see(user.attributes.get("instansi")):
            return NotChangeable()
        realm = self.settings.realm
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                tx.outbox.enqueue(
                    kind=OUTBOX_CHANGE_INVITED, now=now,
                    idempotency_key=f"bsre_passphrase_change:{row.id}:{now.isoformat()}",
                    payload={"realm": realm, "user_id": row.user_id,
                             "serial_number": row.serial_number,
                             "url": f"{self.settings.portal_url}/sertifikat/{row.id}/passphrase"})
                tx.audit.record(realm=realm, occurred_at=now, actor=officer.user_id,
                                subject_id=row.user_id,
                                event_type="bsre.certificate.passphrase_change_invited",
                                details={"serial_number": row.serial_number})
        except StorageError:
            return TemporaryProblem()
        return Invited(row.serial_number)


def reserve_attempt(store: Store, certificate_id: int) -> int | None:
    """Count a try of the certificate's passphrase before it is made: how many in a row
    then, or None when MAX_WRONG are counted (locked). Counted first, because a count made
    after the slow decryption let concurrent tries all pass the check: a burst tried every
    guess it held, and a right one among them unlocked the certificate."""
    with store.transaction() as tx:
        return tx.certificates.reserve_passphrase_attempt(certificate_id, MAX_WRONG)


def give_back_attempt(store: Store, certificate_id: int) -> None:
    """A counted try failed before its passphrase was judged (an error of ours)."""
    with store.transaction() as tx:
        tx.certificates.give_back_passphrase_attempt(certificate_id)
