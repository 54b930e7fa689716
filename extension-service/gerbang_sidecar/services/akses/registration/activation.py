""""Aktivasi" (A5): create the Keycloak account of a pending registration, exactly once.

Two systems are written (our database and Keycloak) without a shared transaction, so:

* The registration is first claimed with one conditional update (``pending_confirmation`` ->
  ``activating``), committed before Keycloak is called. Of two concurrent clicks exactly one
  wins; the other is told the activation is in progress, or -- once done -- gets the same
  ``Activated`` answer. The unique identity records (same NIK / passport / SID / email / phone
  in the realm) are the second guard, against two *different* registrations of one person.
* The account is created in its group (which carries its roles) in one Keycloak request,
  outside any database transaction. When a step after it fails (the identity records, the
  final commit), the user is deleted again and the claim released: nothing half-written
  stays behind, and the same confirmation page can be activated
  again. If even the delete fails, the orphan's id is kept on the registration and removed
  before the next attempt.
* The activation email is queued in the transaction that completes the account, so it
  leaves if and only if the account exists (activation_email.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from gerbang_sidecar.domain.akses.accounts import (
    checks_made,
    group_for,
    identifiers_of,
    keycloak_attributes,
    roles_for,
)
from gerbang_sidecar.domain.akses.lifecycle import ACTIVATED, ACTIVATING
from gerbang_sidecar.domain.akses.registration_form import RegistrationData
from gerbang_sidecar.domain.tokens import plausible, token_hash
from gerbang_sidecar.ports.keycloak import KeycloakError, NewUser, UserAlreadyExists
from gerbang_sidecar.ports.storage import AksesRegistrationRecord, DuplicateIdentifier, StorageError
from gerbang_sidecar.services.akses.registration import activation_email
from gerbang_sidecar.services.akses.registration.context import Context
from gerbang_sidecar.services.akses.registration.results import (
    Activated,
    ActivateResult,
    ActivationInProgress,
    AlreadyRegistered,
    RegistrationNotFound,
)
from gerbang_sidecar.services.results import TemporaryProblem

log = logging.getLogger(__name__)


class _ClaimLost(Exception):
    """Our activation claim was taken over (it outlived the claim timeout)."""


def activate(ctx: Context, token: str) -> ActivateResult:
    if not plausible(token):
        return RegistrationNotFound()
    hashed = token_hash(token)
    now = ctx.clock()
    settings = ctx.settings
    try:
        with ctx.store.transaction() as tx:
            # The claim is the transaction's first statement: on SQLite it takes the write
            # lock straight away, so concurrent claims queue instead of deadlocking.
            claimed = tx.akses_registrations.claim_for_activation(
                hashed, now=now, pending_since=now - settings.pending_lifetime,
                stale_before=now - settings.activation_claim_timeout)
            row = tx.akses_registrations.by_token_hash(hashed)
    except StorageError:
        return TemporaryProblem()
    if row is None:
        return RegistrationNotFound()
    if not claimed:
        if row.status == ACTIVATED:
            return _activated(ctx, row)
        if row.status == ACTIVATING:
            return ActivationInProgress()
        return RegistrationNotFound()  # pending, but past its lifetime

    data = RegistrationData.from_dict(row.data["data"])
    if row.keycloak_user_id is not None and not _delete_orphan(ctx, row.id,
                                                               row.keycloak_user_id):
        _release(ctx, row.id, orphan_user_id=row.keycloak_user_id)
        return TemporaryProblem()
    return _create_account(ctx, row.id, data, row.locale, now)


def _create_account(ctx: Context, registration_id: int, data: RegistrationData, locale: str,
                    now: datetime) -> ActivateResult:
    realm = ctx.settings.realm
    group = group_for(data)
    new_user = NewUser(
        username=data.email.lower(), email=data.email, first_name=data.name,
        attributes={**keycloak_attributes(data), "locale": locale}, email_verified=False,
        groups=(group,))
    try:
        user_id = ctx.keycloak.create_user(realm, new_user)
    except UserAlreadyExists:
        # Someone took the email in Keycloak since "Selanjutnya" (or an earlier attempt of
        # this registration died after creating it): no account of ours exists.
        _release(ctx, registration_id, failure="already_registered")
        return AlreadyRegistered()
    except KeycloakError as exc:
        _release(ctx, registration_id, failure=f"create_user:{type(exc).__name__}")
        return TemporaryProblem()

    try:
        with ctx.store.transaction() as tx:
            tx.identities.add_all(realm=realm, pairs=identifiers_of(data), created_at=now,
                                  subject_id=user_id)
            tx.audit.record(
                realm=realm, event_type="akses.registration.activated", occurred_at=now,
                actor=user_id, subject_id=user_id,
                details={"registration_id": registration_id, "type": data.type.value,
                         "group": group, "roles": list(roles_for(data)),
                         "checks": list(checks_made(data))})
            # Only the name stays: the thank-you page needs it, the identifiers now live in
            # the identity records and in Keycloak.
            if not tx.akses_registrations.mark_activated(
                    registration_id, keycloak_user_id=user_id, now=now,
                    data={"name": data.name}):
                raise _ClaimLost
            activation_email.queue(ctx, tx, registration_id, user_id, now=now, resend=False)
    except Exception as exc:
        _undo_account(ctx, registration_id, user_id, exc)
        if isinstance(exc, DuplicateIdentifier):
            return AlreadyRegistered()
        if isinstance(exc, KeycloakError | StorageError | _ClaimLost):
            return TemporaryProblem()
        raise

    log.info("akses registration %s activated", registration_id)
    return Activated(name=data.name, keycloak_user_id=user_id,
                     resend_available_at=now + ctx.settings.resend_after)


def _undo_account(ctx: Context, registration_id: int, user_id: str,
                  cause: BaseException) -> None:
    """Compensate a failed activation: remove the Keycloak user, release the claim."""
    deleted = _delete_orphan(ctx, registration_id, user_id)
    _release(ctx, registration_id, failure=f"after_create:{type(cause).__name__}",
             orphan_user_id=None if deleted else user_id)


def _delete_orphan(ctx: Context, registration_id: int, user_id: str) -> bool:
    try:
        ctx.keycloak.delete_user(ctx.settings.realm, user_id)
    except KeycloakError as exc:
        log.error("akses registration %s: could not delete half-made keycloak user %s (%s)",
                  registration_id, user_id, type(exc).__name__)
        return False
    return True


def _release(ctx: Context, registration_id: int, *, failure: str | None = None,
             orphan_user_id: str | None = None) -> None:
    """Back to pending, so the same confirmation page can try again."""
    now = ctx.clock()
    try:
        with ctx.store.transaction() as tx:
            tx.akses_registrations.release(registration_id, orphan_user_id=orphan_user_id)
            if failure is not None:
                tx.audit.record(
                    realm=ctx.settings.realm, occurred_at=now,
                    event_type="akses.registration.activation_failed",
                    details={"registration_id": registration_id, "reason": failure,
                             "orphan_left": orphan_user_id is not None})
    except StorageError as exc:
        # The claim then expires by itself after activation_claim_timeout.
        log.error("akses registration %s: could not release activation claim (%s)",
                  registration_id, type(exc).__name__)
    log.warning("akses registration %s: activation undone (%s)", registration_id, failure)


def _activated(ctx: Context, row: AksesRegistrationRecord) -> Activated:
    return Activated(name=row.data["name"], keycloak_user_id=row.keycloak_user_id or "",
                     resend_available_at=ctx.resend_available_at(row.activation_email_sent_at))
