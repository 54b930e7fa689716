"""The account behind an accepted self-registration (AKSes A5, OSS O5, X1), made by the outbox
worker for every portal from the portal's :class:`AccountPlan`.

First: does any identifier of the registration already belong to an account? The identity
index answers (services/identity_index.py: the blind-indexed records of accounts made here,
and of every account made or changed elsewhere -- legacy imports, demo and admin-made
accounts -- read from Keycloak's admin events just before), for NIK, passport, SID, mobile
number and email; Keycloak's attribute search, which reads every user of the realm, is not
used. If so nothing is made; the registration ends ``declined`` and the owner of each such
account gets a mail that someone tried to register with their data (the person at the
browser saw the same page as everyone else).

Otherwise the account is created in its group (one request), and its identity records, the
audit event, the ``activated`` state and the activation email are written in one transaction.
The handler may run again after any failure (the worker retries with backoff, and after a
crash): a Keycloak user it made on an earlier run that was never activated -- same
username, unverified, same proven attributes, no activation in the audit trail -- is this
registration's own and is taken over instead of counted as someone else's account (the
identity index may have recorded it meanwhile).

Logs carry registration ids and outcomes, never an identifier (X3).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from gerbang_sidecar.domain.account_plan import AccountPlan
from gerbang_sidecar.domain.registration_lifecycle import ACTIVATING
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import (
    KeycloakError,
    KeycloakUnavailable,
    KeycloakUsers,
    NewUser,
    UserAlreadyExists,
    UserRecord,
)
from gerbang_sidecar.ports.storage import RegistrationRecord, Store, Transaction
from gerbang_sidecar.services.identity_index import IdentityIndex
from gerbang_sidecar.services.outbox_worker import PermanentFailure

log = logging.getLogger(__name__)

OUTBOX_REGISTRATION_ATTEMPT = "registration_attempt.notice"


class AccountNotReady(Exception):
    """Something changed under this run (a concurrent registration, a lost write): the
    worker tries again, and the next run decides afresh."""


@dataclass(frozen=True)
class AccountMaker:
    """One portal's account making: its realm, where its owners are sent, how its
    registrations become plans, and what follows a new account (its activation email)."""

    store: Store
    keycloak: KeycloakUsers
    clock: Clock
    realm: str
    portal_url: str
    plan_of: Callable[[RegistrationRecord], AccountPlan]
    after_activation: Callable[[Transaction, int, datetime], None]
    index: IdentityIndex  # the process's one (wiring.py): its memo and reading are shared
    # BSrE's verifier list shows every registration's address (B1), finished ones too.
    keeps_email: bool = False

    def make(self, registration_id: int) -> None:
        """The outbox handler's work for one accepted registration."""
        with self.store.transaction() as tx:
            row = tx.registrations.get(registration_id)
        if row is None or row.status != ACTIVATING:
            return  # decided by an earlier run
        plan = self.plan_of(row)
        try:
            owners, own = self._accounts_with_these_identifiers(plan)
            if owners:
                self._decline(registration_id, plan, owners, own, locale=row.locale)
                return
            try:
                self._activate(registration_id, plan, own, locale=row.locale)
            except UserAlreadyExists:
                holder = self.keycloak.find_by_username(self.realm, plan.username)
                if holder is None:
                    raise AccountNotReady("the username was taken and freed again") from None
                self._decline(registration_id, plan, {holder.id}, None, locale=row.locale)
        except KeycloakUnavailable:
            raise
        except KeycloakError as exc:  # refused, not down: a retry would be refused again
            raise PermanentFailure(
                f"keycloak refused the account ({exc})") from exc

    def _accounts_with_these_identifiers(
            self, plan: AccountPlan) -> tuple[set[str], UserRecord | None]:
        """(ids of other accounts holding an identifier, this registration's own unfinished
        Keycloak user from an earlier run or None).

        The identity index answers for NIK, SID, passport, phone and email -- brought up to
        date first, so accounts made outside the sidecar count too. Keycloak is asked only
        for the username (an indexed lookup): an earlier run's own account has it, and
        another account with it but a different email shows as Keycloak's refusal to create
        the user.
        """
        realm = self.realm
        named = self.index.caught_up_beside(realm, lambda: self.keycloak.find_by_username(
            realm, plan.username, email_too=False))  # the email is in the index
        with self.store.transaction() as tx:
            owners = tx.identities.owners(realm=realm, pairs=list(plan.identifiers))
        own = named if named is not None and _is_unfinished_account_of(named, plan) \
            and not self._activated(named.id) else None
        others = owners | ({named.id} if named is not None else set())
        return others - ({own.id} if own is not None else set()), own

    def _activated(self, user_id: str) -> bool:
        """Did a registration finish with this account (rather than stop after making it)?"""
        with self.store.transaction() as tx:
            return tx.audit.last_occurred(realm=self.realm, subject_id=user_id,
                                          event_type=f"{self.realm}.registration.activated"
                                          ) is not None

    def _decline(self, registration_id: int, plan: AccountPlan, owners: set[str],
                 own: UserRecord | None, *, locale: str) -> None:
        realm = self.realm
        if own is not None:
            # An earlier run made it before another account took an identifier: remove it
            # first, so nothing of this registration stays behind.
            self.keycloak.delete_user(realm, own.id)
        now = self.clock()
        with self.store.transaction() as tx:
            if not tx.registrations.mark_declined(registration_id, data=self._kept(plan)):
                return
            for owner in sorted(owners):
                # One notice a day per account, however many attempts use its data: each
                # attempt is a stranger's free mail to the owner otherwise.
                tx.outbox.enqueue(
                    kind=OUTBOX_REGISTRATION_ATTEMPT, now=now,
                    idempotency_key=f"{realm}_registration_attempt:{owner}:{now.date()}",
                    payload={"realm": realm, "user_id": owner, "locale": locale,
                             "portal_url": self.portal_url})
            tx.audit.record(realm=realm, event_type=f"{realm}.registration.declined",
                            occurred_at=now,
                            details={"registration_id": registration_id,
                                     "accounts_told": len(owners)})
        log.info("%s registration %s declined: identifiers already have an account",
                 realm, registration_id)

    def _activate(self, registration_id: int, plan: AccountPlan, own: UserRecord | None, *,
                  locale: str) -> None:
        realm = self.realm
        user_id = own.id if own is not None else self.keycloak.create_user(realm, NewUser(
            username=plan.username, email=plan.email, first_name=plan.name,
            attributes={**plan.attributes, "locale": locale}, email_verified=False,
            groups=(plan.group,)))
        now = self.clock()
        # A failure here (another registration claimed an identifier a moment ago, the
        # database went away) leaves the user for the next run, which takes it over or
        # removes it.
        with self.store.transaction() as tx:
            tx.identities.add_all(realm=realm, pairs=list(plan.identifiers), created_at=now,
                                  subject_id=user_id)
            tx.audit.record(
                realm=realm, event_type=f"{realm}.registration.activated", occurred_at=now,
                actor=user_id, subject_id=user_id,
                details={"registration_id": registration_id, "group": plan.group,
                         **plan.audit, "taken_over": own is not None})
            if not tx.registrations.mark_activated(
                    registration_id, keycloak_user_id=user_id, now=now, data=self._kept(plan)):
                raise AccountNotReady("registration left the activating state")
            self.after_activation(tx, registration_id, now)
        log.info("%s registration %s activated", realm, registration_id)

    def _kept(self, plan: AccountPlan) -> dict[str, str]:
        """What a finished registration keeps (encrypted, X3): what its pages still show --
        the thank-you page's name, and the address where ``keeps_email``; the identifiers
        now live in the identity records and in Keycloak."""
        return {"name": plan.name, **({"email": plan.email} if self.keeps_email else {})}


def _is_unfinished_account_of(user: UserRecord, plan: AccountPlan) -> bool:
    return (user.username == plan.username and not user.email_verified
            and all(user.attributes.get(n) == plan.attributes.get(n) for n in plan.proven))
