"""The activation email (A5, C2): sent once the account exists; "Kirim Ulang" sends it again,
not before 15 minutes after the last one.

If Keycloak cannot send it, the account stays (it is complete, only unverified), the send
slot is given back and "Kirim Ulang" works at once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from gerbang_sidecar.domain.akses.lifecycle import ACTIVATED
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.ports.keycloak import KeycloakError
from gerbang_sidecar.ports.storage import StorageError
from gerbang_sidecar.services.akses.registration.context import Context
from gerbang_sidecar.services.akses.registration.results import (
    AccountAlreadyActive,
    RegistrationNotFound,
    ResendResult,
    Resent,
)
from gerbang_sidecar.services.results import TemporaryProblem

log = logging.getLogger(__name__)

# Keycloak's required actions the email leads through: verify the address, set a password.
ACTIVATION_ACTIONS = ("VERIFY_EMAIL", "UPDATE_PASSWORD")


def resend(ctx: Context, token: str) -> ResendResult:
    row = ctx.find(token)
    if row is None or row.status != ACTIVATED or row.keycloak_user_id is None:
        return RegistrationNotFound()
    now = ctx.clock()
    # Answer early without touching Keycloak; the conditional update below still decides.
    if wait := ctx.resend_wait(row.activation_email_sent_at, now):
        return wait
    try:
        user = ctx.keycloak.get_user(ctx.settings.realm, row.keycloak_user_id)
    except KeycloakError:
        return TemporaryProblem()
    if user is None:
        return RegistrationNotFound()
    if user.email_verified:
        return AccountAlreadyActive()
    return send_activation_email(ctx, row.id, row.keycloak_user_id,
                                 previous=row.activation_email_sent_at, now=now, resend=True)


def send_activation_email(ctx: Context, registration_id: int, user_id: str, *,
                          previous: datetime | None, now: datetime,
                          resend: bool) -> Resent | TooEarly | TemporaryProblem:
    settings = ctx.settings
    try:
        with ctx.store.transaction() as tx:
            if not tx.akses_registrations.claim_email_send(
                    registration_id, now=now, last_sent_before=now - settings.resend_after):
                current = tx.akses_registrations.get(registration_id)
                sent_at = current.activation_email_sent_at if current else None
                # Another click won the send a moment ago, so some wait remains.
                return ctx.resend_wait(sent_at, now) or TooEarly(1)
    except StorageError:
        return TemporaryProblem()
    try:
        ctx.keycloak.send_actions_email(
            settings.realm, user_id, list(ACTIVATION_ACTIONS), client_id=settings.client_id,
            redirect_uri=settings.beranda_url,
            lifespan_seconds=int(settings.action_link_lifespan.total_seconds()))
    except KeycloakError as exc:
        log.warning("akses registration %s: activation email not sent (%s)",
                    registration_id, type(exc).__name__)
        with ctx.store.transaction() as tx:
            tx.akses_registrations.undo_email_send(registration_id, claimed_at=now,
                                                   previous=previous)
        return TemporaryProblem()
    with ctx.store.transaction() as tx:
        tx.audit.record(
            realm=settings.realm, event_type="akses.registration.activation_email_sent",
            occurred_at=now, actor=user_id, subject_id=user_id,
            details={"registration_id": registration_id, "resend": resend})
    return Resent(resend_available_at=now + settings.resend_after)
