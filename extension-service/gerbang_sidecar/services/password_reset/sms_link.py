"""The set-password page behind an SMS link (A7, C1, C4).

The password goes to Keycloak through the admin API, which raises no user event, so the
sidecar sends the C4 notification itself. Whoever knew the old password is logged out.
"""

from __future__ import annotations

import logging
from datetime import datetime

from gerbang_sidecar.domain.tokens import token_hash
from gerbang_sidecar.ports.keycloak import KeycloakError, PasswordRejected
from gerbang_sidecar.ports.storage import ResetLinkRecord, StorageError, Transaction
from gerbang_sidecar.services.password_reset.context import (
    OUTBOX_PASSWORD_CHANGED,
    Context,
)
from gerbang_sidecar.services.password_reset.results import (
    LinkInvalid,
    LinkValid,
    PasswordChanged,
    PasswordRefused,
    SetPasswordResult,
)
from gerbang_sidecar.services.retried_transactions import in_retried_transaction

log = logging.getLogger(__name__)


def open_link(ctx: Context, realm: str, token: str) -> LinkValid | LinkInvalid:
    """The link, on its own portal's pages only (``realm``: the portal of the URL opened)."""
    raw = ctx.unsign(token)
    if raw is None:
        return LinkInvalid()
    with ctx.store.transaction() as tx:
        link = tx.password_resets.usable_link(token_hash(raw), now=ctx.clock())
        return LinkInvalid() if link is None or link.realm != realm else LinkValid(link.locale)


def set_password(ctx: Context, realm: str, token: str, password: str) -> SetPasswordResult:
    """Claim the link, let Keycloak's policy judge the password, then notify (C4).

    The claim is committed before Keycloak is called, so two submissions of one link cannot
    both change the password; a refused password gives the link back.
    """
    raw = ctx.unsign(token)
    if raw is None:
        return LinkInvalid()
    now = ctx.clock()
    with ctx.store.transaction() as tx:
        link = tx.password_resets.usable_link(token_hash(raw), now=now)
        if link is None or link.realm != realm or \
                not tx.password_resets.use_link(link.id, now=now):
            return LinkInvalid()
    try:
        ctx.keycloak.set_password(link.realm, link.user_id, password)
    except PasswordRejected as refused:
        _give_back(ctx, link.id)
        return PasswordRefused(refused.reason)
    except Exception:
        _give_back(ctx, link.id)
        raise
    try:
        # Whoever knew the old password must not stay logged in with it.
        ctx.keycloak.end_sessions(link.realm, link.user_id)
    except KeycloakError:
        log.warning("password reset link %s: sessions not ended", link.id)
    try:
        # The password has changed: what follows must be recorded even if the database
        # stumbles now (the user is told it changed either way; it did).
        in_retried_transaction(ctx.store, lambda tx: _after_the_change(tx, link, now))
    except StorageError:
        log.error("password reset link %s: password changed, notice and logouts not recorded",
                  link.id)
    log.info("password reset link %s used", link.id)
    return PasswordChanged()


def _after_the_change(tx: Transaction, link: ResetLinkRecord, now: datetime) -> None:
    # Any other link still out for this account dies with the old password, and so does
    # every sidecar login of it, wherever its cookie was copied to (X9).
    tx.password_resets.use_all_links(realm=link.realm, user_id=link.user_id, now=now)
    tx.portal_sessions.end_all(realm=link.realm, subject=link.user_id)
    tx.outbox.enqueue(
        kind=OUTBOX_PASSWORD_CHANGED, now=now,
        idempotency_key=f"password_changed:link:{link.id}",
        payload={"realm": link.realm, "user_id": link.user_id, "locale": link.locale,
                 "changed_at": now.isoformat()})
    tx.audit.record(realm=link.realm, event_type="a7_password_reset_by_sms",
                    occurred_at=now, actor=link.user_id, subject_id=link.user_id,
                    details={"link_id": link.id})


def _give_back(ctx: Context, link_id: int) -> None:
    with ctx.store.transaction() as tx:
        tx.password_resets.give_back_link(link_id)
