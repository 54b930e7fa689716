"""The INSW reviewer's work (I4, X4): the queue of registrations waiting, each with its OSS
match and its Surat Kuasa; approval issues the ``USER.YYYYMMDD.NN.NNNNN`` username and
queues the account, rejection mails the reason. Only approval creates an account.

A decision is one conditional update (one of two reviewers acting at once wins) with its
audit event and its outbox message in the same transaction. The account is made by the
shared AccountMaker from the INSW plan (domain/insw/accounts.py); its activation email names
the username and leads to the INSW Home. A registration waiting longer than 24 hours shows as
overdue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gerbang_sidecar.domain.account_plan import AccountPlan
from gerbang_sidecar.domain.form_rules import parse_reason
from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.domain.insw.accounts import account_plan
from gerbang_sidecar.domain.insw.usernames import username_for
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.storage import RegistrationRecord, StorageError, Store
from gerbang_sidecar.services.identity_index import IdentityIndex
from gerbang_sidecar.services.insw.registration import SURAT_KUASA
from gerbang_sidecar.services.outbox_worker import Delivery
from gerbang_sidecar.services.registrations.accounts import AccountMaker
from gerbang_sidecar.services.registrations.activation_email import ActivationEmails
from gerbang_sidecar.services.results import TemporaryProblem

log = logging.getLogger(__name__)

OUTBOX_MAKE_ACCOUNT = "insw.make_account"
OUTBOX_ACTIVATION_EMAIL = "insw.activation_email"
OUTBOX_REJECTED = "insw.registration_rejected"
# The realm role of those who review registrations (realm-config/insw/roles.json).
REVIEWER = "reviewer"
# The username's date is the approval's day where INSW works.
JAKARTA = ZoneInfo("Asia/Jakarta")


@dataclass(frozen=True)
class InswReviewSettings:
    public_url: str
    realm: str = "insw"
    client_id: str = "insw-portal"
    portal_path: str = "insw"
    review_within: timedelta = timedelta(hours=24)  # I4: "1x24 jam"
    action_link_lifespan: timedelta = timedelta(hours=12)

    @property
    def portal_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/{self.portal_path}"

    @property
    def home_url(self) -> str:
        return f"{self.portal_url}/home"


@dataclass(frozen=True)
class Waiting:
    registration_id: int
    organisation: dict[str, str]
    person: dict[str, str]
    submitted_at: datetime
    overdue: bool


@dataclass(frozen=True)
class Approved:
    username: str


@dataclass(frozen=True)
class Rejected:
    pass


@dataclass(frozen=True)
class NotWaiting:
    """Decided already (by another reviewer, a moment ago) or unknown."""


class _Undo(Exception):
    """Leave the transaction without keeping anything of it."""


@dataclass(frozen=True)
class ReasonMissing:
    error: IdentifierError


class InswReview:
    def __init__(self, store: Store, keycloak: KeycloakUsers, clock: Clock,
                 settings: InswReviewSettings, index: IdentityIndex) -> None:
        self._store = store
        self._keycloak = keycloak
        self._clock = clock
        self.settings = settings
        self._emails = ActivationEmails(store, keycloak, clock, settings.realm,
                                        settings.client_id, settings.home_url,
                                        OUTBOX_ACTIVATION_EMAIL, settings.action_link_lifespan)
        self._accounts = AccountMaker(
            store, keycloak, clock, settings.realm, settings.portal_url, plan_of=_plan,
            after_activation=lambda tx, registration_id, now: self._emails.queue(
                tx, registration_id, now=now),
            index=index)

    def queue(self) -> list[Waiting]:
        with self._store.transaction() as tx:
            rows = tx.registrations.waiting_for_review(self.settings.realm)
        return [self._waiting(row) for row in rows]

    def waiting(self, registration_id: int) -> Waiting | None:
        with self._store.transaction() as tx:
            row = tx.registrations.get(registration_id)
        if row is None or row.realm != self.settings.realm or row.status != "in_review":
            return None
        return self._waiting(row)

    def surat_kuasa(self, registration_id: int) -> bytes | None:
        if self.waiting(registration_id) is None:
            return None
        with self._store.transaction() as tx:
            document = tx.registrations.document(registration_id, SURAT_KUASA)
            return None if document is None else bytes(document.content)

    def approve(self, registration_id: int, reviewer: str
                ) -> Approved | NotWaiting | TemporaryProblem:
        now = self._clock()
        realm = self.settings.realm
        day = now.astimezone(JAKARTA).date()
        try:
            with self._store.transaction() as tx:
                # The username first: a write, so on SQLite concurrent approvals queue for
                # the lock; a registration that turns out not to be waiting rolls it back.
                username = tx.issued_usernames.issue(
                    realm=realm, registration_id=registration_id, now=now,
                    name_for=lambda sequence: username_for(day, sequence))
                row = tx.registrations.get(registration_id)
                if row is None or row.realm != realm or row.status != "in_review" or \
                        not tx.registrations.decide_review(
                            registration_id, approved=True,
                            data={**row.data, "username": username}):
                    raise _Undo
                tx.outbox.enqueue(kind=OUTBOX_MAKE_ACCOUNT, now=now,
                                  idempotency_key=f"insw_make_account:{registration_id}",
                                  payload={"registration_id": registration_id})
                tx.audit.record(realm=realm, event_type="insw.registration.approved",
                                occurred_at=now, actor=reviewer,
                                details={"registration_id": registration_id})
        except _Undo:
            return NotWaiting()
        except StorageError:
            return TemporaryProblem()
        log.info("insw registration %s approved", registration_id)
        return Approved(username)

    def reject(self, registration_id: int, reviewer: str, reason: str
               ) -> Rejected | NotWaiting | ReasonMissing | TemporaryProblem:
        try:
            reason = parse_reason(reason)
        except IdentifierError as error:
            return ReasonMissing(error)
        now = self._clock()
        realm = self.settings.realm
        try:
            with self._store.transaction() as tx:
                row = tx.registrations.get(registration_id)
                if row is None or row.realm != realm or row.status != "in_review":
                    return NotWaiting()
                person, organisation = row.data["person"], row.data["organisation"]
                # Nothing reads a rejected registration again: the mail carries the reason,
                # the audit trail the decision. The row goes, its Surat Kuasa with it (X3).
                if not tx.registrations.delete_in_review(registration_id):
                    return NotWaiting()
                tx.outbox.enqueue(
                    kind=OUTBOX_REJECTED, now=now,
                    idempotency_key=f"insw_registration_rejected:{registration_id}",
                    payload={"realm": realm, "to": person["email"], "name": person["name"],
                             "organisation": organisation["name"], "reason": reason,
                             "locale": row.locale, "portal_url": self.settings.portal_url})
                tx.audit.record(realm=realm, event_type="insw.registration.rejected",
                                occurred_at=now, actor=reviewer,
                                details={"registration_id": registration_id,
                                         "reason": reason})
        except StorageError:
            return TemporaryProblem()
        log.info("insw registration %s rejected", registration_id)
        return Rejected()

    def make_account(self, delivery: Delivery) -> None:
        """The outbox worker's handler of ``OUTBOX_MAKE_ACCOUNT``."""
        self._accounts.make(int(delivery.payload["registration_id"]))

    def send_activation_email(self, delivery: Delivery) -> None:
        """The outbox worker's handler of ``OUTBOX_ACTIVATION_EMAIL``."""
        self._emails.deliver(delivery)

    def _waiting(self, row: RegistrationRecord) -> Waiting:
        submitted = row.claimed_at or row.created_at
        data: dict[str, Any] = row.data
        return Waiting(row.id, dict(data["organisation"]), dict(data["person"]), submitted,
                       overdue=self._clock() - submitted > self.settings.review_within)


def _plan(row: RegistrationRecord) -> AccountPlan:
    return account_plan(row.data)
