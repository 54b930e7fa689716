"""The activation email (A5, C2): queued with the account, sent by the outbox worker; "Kirim
Ulang" queues it again, not before 15 minutes after the last one.

Queuing it in the transaction that completes the account keeps Keycloak's slowest call (it
renders and sends the mail) out of the page's answer, and a Keycloak hiccup no longer loses
the email: the worker retries it with backoff. Keycloak's execute-actions email is not
idempotent, so a worker that dies mid-send does not send it again (the outbox's default);
the user still has "Kirim Ulang".
"""

from __future__ import annotations

import logging
from datetime import datetime

from gerbang_sidecar.domain.akses.lifecycle import ACTIVATED
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.ports.keycloak import KeycloakError, KeycloakUnavailable
from gerbang_sidecar.ports.storage import StorageError, Transaction
from gerbang_sidecar.services.akses.registration.context import Context
from gerbang_sidecar.services.akses.registration.results import (
    AccountAlreadyActive,
    RegistrationNotFound,
    ResendResult,
    Resent,
)
from gerbang_sidecar.services.outbox_worker import Delivery, PermanentFailure
from gerbang_sidecar.services.results import TemporaryProblem

log = logging.getLogger(__name__)

OUTBOX_ACTIVATION_EMAIL = "akses.activation_email"
# Keycloak's required actions the email leads through: verify the address, set a password.
ACTIVATION_ACTIONS = ("VERIFY_EMAIL", "UPDATE_PASSWORD")


def queue(ctx: Context, tx: Transaction, registration_id: int, user_id: str, *,
          now: datetime, resend: bool) -> bool:
    """Take the send slot (C2) and queue the email in ``tx``; False when the last send is
    less than 15 minutes old (another click won it a moment ago)."""
    if not tx.akses_registrations.claim_email_send(
            registration_id, now=now, last_sent_before=now - ctx.settings.resend_after):
        return False
    tx.outbox.enqueue(
        kind=OUTBOX_ACTIVATION_EMAIL, now=now,
        idempotency_key=f"akses_activation_email:{registration_id}:{now.isoformat()}",
        payload={"registration_id": registration_id, "user_id": user_id, "resend": resend})
    return True


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
    try:
        with ctx.store.transaction() as tx:
            if not queue(ctx, tx, row.id, row.keycloak_user_id, now=now, resend=True):
                current = tx.akses_registrations.get(row.id)
                sent_at = current.activation_email_sent_at if current else None
                return ctx.resend_wait(sent_at, now) or TooEarly(1)
    except StorageError:
        return TemporaryProblem()
    return Resent(resend_available_at=now + ctx.settings.resend_after)


def deliver(ctx: Context, delivery: Delivery) -> None:
    """The outbox handler: Keycloak renders and sends the email (VERIFY_EMAIL and
    UPDATE_PASSWORD, back to Beranda). Keycloak down: raised, so the worker retries."""
    settings = ctx.settings
    user_id = str(delivery.payload["user_id"])
    try:
        ctx.keycloak.send_actions_email(
            settings.realm, user_id, list(ACTIVATION_ACTIONS), client_id=settings.client_id,
            redirect_uri=settings.beranda_url,
            lifespan_seconds=int(settings.action_link_lifespan.total_seconds()))
    except KeycloakUnavailable:
        raise
    except KeycloakError as exc:  # the user is gone or refused: a retry cannot help
        raise PermanentFailure(f"activation email refused ({type(exc).__name__})") from exc
    with ctx.store.transaction() as tx:
        tx.audit.record(
            realm=settings.realm, event_type="akses.registration.activation_email_sent",
            occurred_at=ctx.clock(), actor=user_id, subject_id=user_id,
            details={"registration_id": delivery.payload["registration_id"],
                     "resend": bool(delivery.payload.get("resend"))})
