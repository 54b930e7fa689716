"""The activation email (A5, C2): queued with the account, sent by the outbox worker; "Kirim
Ulang" queues it again, not before 15 minutes after the last one.

"Kirim Ulang" asks Keycloak nothing and answers the same for every accepted registration,
declined ones included (X1): it takes the send slot and queues a message; the handler then
decides whether a mail is due (an account of this registration whose address is not yet
verified). Keycloak's execute-actions email is not idempotent, so a worker that dies
mid-send does not send it again (the outbox's default); the user still has "Kirim Ulang".
"""

from __future__ import annotations

import logging
from datetime import datetime

from gerbang_sidecar.domain.registration_lifecycle import ACCEPTED, ACTIVATED
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.ports.keycloak import KeycloakError, KeycloakUnavailable
from gerbang_sidecar.ports.storage import StorageError, Transaction
from gerbang_sidecar.services.akses.registration.context import Context
from gerbang_sidecar.services.akses.registration.results import (
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


def queue(tx: Transaction, registration_id: int, *, now: datetime,
          resend: bool = False) -> None:
    tx.outbox.enqueue(
        kind=OUTBOX_ACTIVATION_EMAIL, now=now,
        idempotency_key=f"akses_activation_email:{registration_id}:{now.isoformat()}",
        payload={"registration_id": registration_id, "resend": resend})


def resend(ctx: Context, token: str) -> ResendResult:
    row = ctx.find(token)
    if row is None or row.status not in ACCEPTED:
        return RegistrationNotFound()
    now = ctx.clock()
    # Answer early; the conditional update below still decides between concurrent clicks.
    if wait := ctx.resend_wait(row, now):
        return wait
    try:
        with ctx.store.transaction() as tx:
            if not tx.registrations.claim_email_send(
                    row.id, now=now, last_sent_before=now - ctx.settings.resend_after):
                current = tx.registrations.get(row.id)
                return (ctx.resend_wait(current, now) if current else None) or TooEarly(1)
            queue(tx, row.id, now=now, resend=True)
    except StorageError:
        return TemporaryProblem()
    return Resent(resend_available_at=now + ctx.settings.resend_after)


def deliver(ctx: Context, delivery: Delivery) -> None:
    """The outbox handler: Keycloak renders and sends the email (VERIFY_EMAIL and
    UPDATE_PASSWORD, back to Beranda) when the registration has an account whose address is
    not verified yet. Keycloak down: raised, so the worker retries."""
    settings = ctx.settings
    registration_id = int(delivery.payload["registration_id"])
    with ctx.store.transaction() as tx:
        row = tx.registrations.get(registration_id)
    if row is None or row.status != ACTIVATED or row.keycloak_user_id is None:
        return  # declined, or the account is not made yet (its own email follows)
    user_id = row.keycloak_user_id
    resend = bool(delivery.payload.get("resend"))
    try:
        # The first email follows the account's creation; a resend may come after the owner
        # finished, or after the account was removed.
        if resend and ((user := ctx.keycloak.get_user(settings.realm, user_id)) is None
                       or user.email_verified):
            return
        ctx.keycloak.send_actions_email(
            settings.realm, user_id, list(ACTIVATION_ACTIONS), client_id=settings.client_id,
            redirect_uri=settings.beranda_url,
            lifespan_seconds=int(settings.action_link_lifespan.total_seconds()))
    except KeycloakUnavailable:
        raise
    except KeycloakError as exc:  # the user is gone or refused: a retry cannot help
        raise PermanentFailure(f"activation email refused ({type(exc).__name__})") from exc
    try:
        with ctx.store.transaction() as tx:
            tx.audit.record(
                realm=settings.realm, event_type="akses.registration.activation_email_sent",
                occurred_at=ctx.clock(), actor=user_id, subject_id=user_id,
                details={"registration_id": registration_id, "resend": resend})
    except StorageError as exc:
        # The mail has left: failing now would make the worker send it a second time.
        log.error("activation email for registration %s sent, audit not written (%s)",
                  registration_id, type(exc).__name__)
