""""Proses" and "Kirim Ulang" of forgot password (A7, C2, X1): the web request's part.

X1 -- the answer, status and timing must not tell whether the identifier names an account.
So the web request never asks Keycloak anything: it stores the typed identifier (encrypted)
and enqueues an outbox job carrying only the row's id; the work is the same for any input.
The worker does the lookup later (delivery.py).
"""

from __future__ import annotations

import logging
from datetime import datetime

from gerbang_sidecar.domain.throttle import TooEarly, seconds_until
from gerbang_sidecar.domain.tokens import new_token, token_hash
from gerbang_sidecar.ports.storage import ResetRequestRecord, Transaction
from gerbang_sidecar.services.password_reset.context import (
    CHANNELS,
    OUTBOX_REQUESTED,
    REQUEST_LIFETIME,
    RESEND_AFTER,
    Channel,
    Context,
)
from gerbang_sidecar.services.password_reset.results import (
    RequestStatus,
    ResendResult,
    Resent,
    UnknownRequest,
)

log = logging.getLogger(__name__)


def request(ctx: Context, realm: str, identifier: str, channel: Channel, locale: str) -> str:
    """Store the request and enqueue its job; returns the opaque token of the "link sent"
    page. No lookup happens here."""
    if channel not in CHANNELS:
        raise ValueError("unknown channel")
    ctx.settings_of(realm)  # a portal without forgot password is a programming error
    token = new_token()
    now = ctx.clock()
    with ctx.store.transaction() as tx:
        tx.password_resets.purge_requests(created_before=now - REQUEST_LIFETIME)
        request_id = tx.password_resets.add_request(
            token_hash=token_hash(token), realm=realm,
            identifier=identifier.strip(), channel=channel, locale=locale, now=now)
        _enqueue(tx, request_id, 1, now)
    log.info("password reset request %s stored", request_id)
    return token


def status(ctx: Context, token: str) -> RequestStatus | None:
    with ctx.store.transaction() as tx:
        row = _live_request(ctx, tx, token)
        if row is None:
            return None
        return RequestStatus(row.last_sent_at + RESEND_AFTER)


def resend(ctx: Context, token: str) -> ResendResult:
    """"Kirim Ulang": a new job for the same request, 15 minutes after the last (C2)."""
    now = ctx.clock()
    with ctx.store.transaction() as tx:
        row = _live_request(ctx, tx, token)
        if row is None:
            return UnknownRequest()
        if not tx.password_resets.count_send(row.id, now=now,
                                             last_sent_before=now - RESEND_AFTER):
            return TooEarly(seconds_until(row.last_sent_at + RESEND_AFTER, now))
        _enqueue(tx, row.id, row.sends + 1, now)
    return Resent()


def _live_request(ctx: Context, tx: Transaction, token: str) -> ResetRequestRecord | None:
    return tx.password_resets.live_request(
        token_hash(token), created_after=ctx.clock() - REQUEST_LIFETIME)


def _enqueue(tx: Transaction, request_id: int, send: int, now: datetime) -> None:
    tx.outbox.enqueue(kind=OUTBOX_REQUESTED, now=now, payload={"request_id": request_id},
                      idempotency_key=f"password_reset:{request_id}:{send}")
