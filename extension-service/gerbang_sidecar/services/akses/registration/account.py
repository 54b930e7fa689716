"""The account behind an accepted "Aktivasi" (A5, X1), made by the outbox worker.

First: does any identifier of the registration already belong to an account? Our identity
records answer for accounts made here; Keycloak answers for the rest (legacy imports, demo and
admin-made accounts): the typed NIK / passport / SID, the SID KSEI found, the mobile number
(every realm keeps it in E.164, so one exact search finds it) and the email address (a
username equal to it shows as Keycloak's refusal to create the user). If so nothing is made;
the registration ends ``declined`` and the owner of each such account gets a mail that
someone tried to register with their data (the person at the browser saw the same page as
everyone else).

Otherwise the account is created in its group (one request), and its identity records, the
audit event, the ``activated`` state and the activation email are written in one transaction.
The handler may run again after any failure (the worker retries with backoff, and after a
crash): a Keycloak user it made on an earlier run that never got its records -- same email as
username, unverified, same identifiers, owned by no identity record -- is this registration's
own and is taken over instead of counted as someone else's account.

Logs carry registration ids and outcomes, never an identifier (X3).
"""

from __future__ import annotations

import logging

from gerbang_sidecar.domain.akses.accounts import (
    checks_made,
    group_for,
    identifiers_of,
    keycloak_attributes,
    roles_for,
)
from gerbang_sidecar.domain.akses.registration_form import RegistrationData
from gerbang_sidecar.domain.registration_lifecycle import ACTIVATING
from gerbang_sidecar.ports.keycloak import (
    KeycloakError,
    KeycloakUnavailable,
    NewUser,
    UserAlreadyExists,
    UserRecord,
)
from gerbang_sidecar.services.akses.registration import activation_email
from gerbang_sidecar.services.akses.registration.context import Context
from gerbang_sidecar.services.outbox_worker import Delivery, PermanentFailure

log = logging.getLogger(__name__)

OUTBOX_REGISTRATION_ATTEMPT = "registration_attempt.notice"
# Profile attributes that prove who an account belongs to, searched in Keycloak.
_PROVEN = ("nik", "passport", "sid")


class AccountNotReady(Exception):
    """Something changed under this run (a concurrent registration, a lost write): the
    worker tries again, and the next run decides afresh."""


def make_account(ctx: Context, delivery: Delivery) -> None:
    """The outbox handler of ``OUTBOX_MAKE_ACCOUNT``."""
    registration_id = int(delivery.payload["registration_id"])
    with ctx.store.transaction() as tx:
        row = tx.registrations.get(registration_id)
    if row is None or row.status != ACTIVATING:
        return  # decided by an earlier run
    data = RegistrationData.from_dict(row.data["data"])
    try:
        owners, own = _accounts_with_these_identifiers(ctx, data)
        if owners:
            _decline(ctx, registration_id, data, owners, own, locale=row.locale)
            return
        try:
            _activate(ctx, registration_id, data, own, locale=row.locale)
        except UserAlreadyExists:
            holder = ctx.keycloak.find_by_username(ctx.settings.realm, data.email)
            if holder is None:
                raise AccountNotReady("the username was taken and freed again") from None
            _decline(ctx, registration_id, data, {holder.id}, None, locale=row.locale)
    except KeycloakUnavailable:
        raise
    except KeycloakError as exc:  # refused, not down: a retry would be refused again
        raise PermanentFailure(f"keycloak refused the account ({type(exc).__name__})") from exc


def _accounts_with_these_identifiers(
        ctx: Context, data: RegistrationData) -> tuple[set[str], UserRecord | None]:
    """(ids of other accounts holding an identifier, this registration's own unfinished
    Keycloak user from an earlier run or None)."""
    realm = ctx.settings.realm
    with ctx.store.transaction() as tx:
        owners = tx.identities.owners(realm=realm, pairs=identifiers_of(data))
    found: dict[str, UserRecord] = {}
    for name in _PROVEN:
        value = getattr(data, name)
        if value is not None:
            found.update((u.id, u) for u in ctx.keycloak.find_by_attribute(realm, name, value))
    found.update((u.id, u) for u in ctx.keycloak.find_by_attribute(realm, "phoneNumber",
                                                                    data.phone))
    # The address; an account whose *username* is this address but whose email differs is
    # rare enough to be found by Keycloak's refusal at creation instead (one request less).
    if (by_email := ctx.keycloak.find_by_email(realm, data.email)) is not None:
        found[by_email.id] = by_email
    own = next((u for u in found.values()
                if u.id not in owners and _is_unfinished_account_of(u, data)), None)
    owners |= {user_id for user_id in found if own is None or user_id != own.id}
    return owners, own


def _is_unfinished_account_of(user: UserRecord, data: RegistrationData) -> bool:
    wanted = keycloak_attributes(data)
    return (user.username == data.email.lower() and not user.email_verified
            and all(user.attributes.get(n) == wanted.get(n) for n in _PROVEN))


def _decline(ctx: Context, registration_id: int, data: RegistrationData, owners: set[str],
             own: UserRecord | None, *, locale: str) -> None:
    realm = ctx.settings.realm
    if own is not None:
        # An earlier run made it before another account took an identifier: remove it first,
        # so nothing of this registration stays behind.
        ctx.keycloak.delete_user(realm, own.id)
    now = ctx.clock()
    with ctx.store.transaction() as tx:
        if not tx.registrations.mark_declined(registration_id,
                                                    data={"name": data.name}):
            return
        for owner in sorted(owners):
            tx.outbox.enqueue(
                kind=OUTBOX_REGISTRATION_ATTEMPT, now=now,
                idempotency_key=f"akses_registration_attempt:{registration_id}:{owner}",
                payload={"realm": realm, "user_id": owner, "locale": locale,
                         "portal_url": ctx.settings.portal_url})
        tx.audit.record(realm=realm, event_type="akses.registration.declined",
                        occurred_at=now,
                        details={"registration_id": registration_id,
                                 "accounts_told": len(owners)})
    log.info("akses registration %s declined: identifiers already have an account",
             registration_id)


def _activate(ctx: Context, registration_id: int, data: RegistrationData,
              own: UserRecord | None, *, locale: str) -> None:
    realm = ctx.settings.realm
    group = group_for(data)
    user_id = own.id if own is not None else ctx.keycloak.create_user(realm, NewUser(
        username=data.email.lower(), email=data.email, first_name=data.name,
        attributes={**keycloak_attributes(data), "locale": locale}, email_verified=False,
        groups=(group,)))
    now = ctx.clock()
    # A failure here (another registration claimed an identifier a moment ago, the database
    # went away) leaves the user for the next run, which takes it over or removes it.
    with ctx.store.transaction() as tx:
        tx.identities.add_all(realm=realm, pairs=identifiers_of(data), created_at=now,
                              subject_id=user_id)
        tx.audit.record(
            realm=realm, event_type="akses.registration.activated", occurred_at=now,
            actor=user_id, subject_id=user_id,
            details={"registration_id": registration_id, "type": data.type.value,
                     "group": group, "roles": list(roles_for(data)),
                     "checks": list(checks_made(data)), "taken_over": own is not None})
        # Only the name stays: the thank-you page needs it, the identifiers now live in
        # the identity records and in Keycloak.
        if not tx.registrations.mark_activated(
                registration_id, keycloak_user_id=user_id, now=now, data={"name": data.name}):
            raise AccountNotReady("registration left the activating state")
        activation_email.queue(tx, registration_id, now=now)
    log.info("akses registration %s activated", registration_id)

