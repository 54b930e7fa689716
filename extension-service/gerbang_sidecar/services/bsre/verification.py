"""B5: "Lainnya" activations wait for a Verifikator of their instansi (or an RA): the data,
the selfie and the registry results; approve -> the account is made (B6), reject with a
reason -> the user is mailed. ASN/Polri skip the queue (activation.py) and reach the same
account making here.

A decision is one conditional update with its audit event (X4) and its outbox message in one
transaction: of two verifiers acting at once, one wins. The account: the shared AccountMaker
(X1 duplicates, identity records) from domain/bsre/accounts.py, followed by Keycloak's
execute-actions email "[BSrE] Perbarui Akun Anda" (1 hour): OTP set-up, then the password.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gerbang_sidecar.domain.account_plan import AccountPlan
from gerbang_sidecar.domain.bsre.accounts import account_plan
from gerbang_sidecar.domain.bsre.activation_form import INVITED
from gerbang_sidecar.domain.form_rules import parse_reason
from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.domain.registration_lifecycle import IN_REVIEW
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.storage import RegistrationRecord, StorageError, Store, Transaction
from gerbang_sidecar.services.bsre.activation import OUTBOX_MAKE_ACCOUNT, SELFIE
from gerbang_sidecar.services.bsre.invitations import BsreSettings
from gerbang_sidecar.services.bsre.officers import Officer
from gerbang_sidecar.services.identity_index import IdentityIndex
from gerbang_sidecar.services.outbox_worker import Delivery
from gerbang_sidecar.services.registrations.accounts import AccountMaker
from gerbang_sidecar.services.registrations.activation_email import ActivationEmails
from gerbang_sidecar.services.results import TemporaryProblem

log = logging.getLogger(__name__)

OUTBOX_ACCOUNT_EMAIL = "bsre.account_email"
OUTBOX_REJECTED = "bsre.activation_rejected"
# B6: OTP set-up first (Keycloak orders required actions by priority), then the password;
# opening the mailed link verifies the address.
ACCOUNT_ACTIONS = ("VERIFY_EMAIL", "CONFIGURE_TOTP", "UPDATE_PASSWORD")
ACCOUNT_LINK_LIFESPAN = timedelta(hours=1)  # B6


@dataclass(frozen=True)
class Waiting:
    registration_id: int
    data: dict[str, Any]
    instansi: str
    submitted_at: datetime


@dataclass(frozen=True)
class Decided:
    approved: bool


@dataclass(frozen=True)
class NotWaiting:
    """Decided already, or not in the officer's scope."""


@dataclass(frozen=True)
class ReasonMissing:
    error: IdentifierError


class Verification:
    def __init__(self, store: Store, keycloak: KeycloakUsers, clock: Clock,
                 settings: BsreSettings, index: IdentityIndex) -> None:
        self._store = store
        self._clock = clock
        self.settings = settings
        self._emails = ActivationEmails(
            store, keycloak, clock, settings.realm, settings.client_id,
            f"{settings.portal_url}/", OUTBOX_ACCOUNT_EMAIL, ACCOUNT_LINK_LIFESPAN,
            actions=ACCOUNT_ACTIONS)
        self._accounts = AccountMaker(
            store, keycloak, clock, settings.realm, settings.portal_url, plan_of=_plan,
            after_activation=lambda tx, registration_id, now: self._emails.queue(
                tx, registration_id, now=now),
            index=index, keeps_email=True)

    def waiting(self, officer: Officer, registration_id: int) -> Waiting | None:
        with self._store.transaction() as tx:
            row = self._waiting_row(tx, officer, registration_id)
            return None if row is None else Waiting(row.id, dict(row.data), row.scope or "",
                                                    row.claimed_at or row.created_at)

    def selfie(self, officer: Officer, registration_id: int) -> bytes | None:
        with self._store.transaction() as tx:
            row = tx.registrations.get(registration_id)
            if row is None or row.realm != self.settings.realm or \
                    row.registration_type != INVITED or not officer.may_see(row.scope):
                return None
            document = tx.registrations.document(registration_id, SELFIE)
            return None if document is None else bytes(document.content)

    def approve(self, officer: Officer, registration_id: int
                ) -> Decided | NotWaiting | TemporaryProblem:
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                row = self._waiting_row(tx, officer, registration_id)
                if row is None or not tx.registrations.decide_review(
                        registration_id, approved=True,
                        data={**row.data, "verified_by": officer.user_id}):
                    return NotWaiting()
                tx.outbox.enqueue(kind=OUTBOX_MAKE_ACCOUNT, now=now,
                                  idempotency_key=f"bsre_make_account:{registration_id}",
                                  payload={"registration_id": registration_id})
                tx.audit.record(realm=self.settings.realm, occurred_at=now,
                                event_type="bsre.activation.approved", actor=officer.user_id,
                                details={"registration_id": registration_id})
        except StorageError:
            return TemporaryProblem()
        log.info("bsre activation %s approved", registration_id)
        return Decided(True)

    def reject(self, officer: Officer, registration_id: int, reason: str
               ) -> Decided | NotWaiting | ReasonMissing | TemporaryProblem:
        try:
            reason = parse_reason(reason)
        except IdentifierError as error:
            return ReasonMissing(error)
        now = self._clock()
        try:
            with self._store.transaction() as tx:
                row = self._waiting_row(tx, officer, registration_id)
                if row is None:
                    return NotWaiting()
                name = row.data["personal"]["name"]
                if not tx.registrations.decide_review(registration_id, approved=False,
                                                      data={"name": name,
                                                            "email": row.data["email"]}):
                    return NotWaiting()
                tx.outbox.enqueue(
                    kind=OUTBOX_REJECTED, now=now,
                    idempotency_key=f"bsre_activation_rejected:{registration_id}",
                    payload={"realm": self.settings.realm, "to": row.data["email"],
                             "name": name, "reason": reason, "locale": row.locale})
                tx.audit.record(realm=self.settings.realm, occurred_at=now,
                                event_type="bsre.activation.rejected", actor=officer.user_id,
                                details={"registration_id": registration_id,
                                         "reason": reason})
        except StorageError:
            return TemporaryProblem()
        log.info("bsre activation %s rejected", registration_id)
        return Decided(False)

    def make_account(self, delivery: Delivery) -> None:
        """The outbox worker's handler of ``OUTBOX_MAKE_ACCOUNT``."""
        self._accounts.make(int(delivery.payload["registration_id"]))

    def send_account_email(self, delivery: Delivery) -> None:
        """The outbox worker's handler of ``OUTBOX_ACCOUNT_EMAIL``."""
        self._emails.deliver(delivery)

    def _waiting_row(self, tx: Transaction, officer: Officer,
                     registration_id: int) -> RegistrationRecord | None:
        row = tx.registrations.get(registration_id)
        if row is None or row.realm != self.settings.realm or \
                row.registration_type != INVITED or row.status != IN_REVIEW or \
                not officer.may_see(row.scope):
            return None
        return row


def _plan(row: RegistrationRecord) -> AccountPlan:
    return account_plan(row.data)
