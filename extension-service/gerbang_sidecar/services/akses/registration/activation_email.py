"""The AKSes activation email (A5, C2): the shared activation email
(services/registrations/activation_email.py) sent back to Beranda, and "Kirim Ulang", which
queues it again, not before 15 minutes after the last one.

"Kirim Ulang" asks Keycloak nothing and answers the same for every accepted registration,
declined ones included (X1): it takes the send slot and queues a message; the handler then
decides whether a mail is due (an account of this registration whose address is not yet
verified).
"""

from __future__ import annotations

from gerbang_sidecar.domain.registration_lifecycle import ACCEPTED
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.ports.storage import StorageError
from gerbang_sidecar.services.akses.registration.context import Context
from gerbang_sidecar.services.akses.registration.results import (
    RegistrationNotFound,
    ResendResult,
    Resent,
)
from gerbang_sidecar.services.outbox_worker import Delivery
from gerbang_sidecar.services.registrations.activation_email import ActivationEmails
from gerbang_sidecar.services.results import TemporaryProblem

OUTBOX_ACTIVATION_EMAIL = "akses.activation_email"


def emails(ctx: Context) -> ActivationEmails:
    settings = ctx.settings
    return ActivationEmails(ctx.store, ctx.keycloak, ctx.clock, settings.realm,
                            settings.client_id, settings.beranda_url, OUTBOX_ACTIVATION_EMAIL,
                            settings.action_link_lifespan)


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
            emails(ctx).queue(tx, row.id, now=now, resend=True)
    except StorageError:
        return TemporaryProblem()
    return Resent(resend_available_at=now + ctx.settings.resend_after)


def deliver(ctx: Context, delivery: Delivery) -> None:
    """The outbox handler: the shared activation email, back to Beranda."""
    emails(ctx).deliver(delivery)
