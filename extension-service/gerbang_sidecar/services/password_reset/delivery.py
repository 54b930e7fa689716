"""The outbox worker's part of forgot password (A7, C2, C4): look the identifier up and send.

For a stored request the worker either does nothing (unknown, disabled, ambiguous, no address
to send to, or a link went to the account less than 15 minutes ago) or sends:

* by email: Keycloak's ``UPDATE_PASSWORD`` execute-actions email; the user sets the password
  on Keycloak's themed page (C1 enforced there) and Keycloak's ``email`` event listener sends
  the change notification (C4);
* by SMS, only when the account has a verified mobile number (otherwise silently by email):
  a link to the sidecar's set-password page (sms_link.py), signed, single use and valid 15
  minutes, of which only the SHA-256 is stored.

Logs carry our row ids and outcomes, never the identifier or the user's addresses (X3).
"""

from __future__ import annotations

import logging
import secrets

from gerbang_sidecar.domain.account_recovery import lookups_for
from gerbang_sidecar.domain.tokens import token_hash
from gerbang_sidecar.ports.keycloak import UserRecord
from gerbang_sidecar.ports.storage import ResetRequestRecord
from gerbang_sidecar.services.password_reset.context import (
    AUDIT_LINK_FAILED,
    AUDIT_LINK_SENT,
    LINK_LIFETIME,
    OUTBOX_SMS_LINK,
    RESEND_AFTER,
    Context,
)

log = logging.getLogger(__name__)


def process(ctx: Context, request_id: int) -> str:
    """Act on a stored request; returns the outcome (for logs and tests, no identifier)."""
    with ctx.store.transaction() as tx:
        row = tx.password_resets.request(request_id)
    if row is None:
        return "expired"
    user = _resolve(ctx, row.realm, row.identifier)
    if user is None or not user.enabled:
        outcome = "no_account"
    elif (channel := _channel(row, user)) is None:
        outcome = "no_address"
    elif not _reserve_a_send(ctx, row.realm, user.id, channel):
        # C2 per account, not per request: a stranger pressing "Proses" again and again must
        # not flood the owner with mails or paid SMS. The page answered the same.
        outcome = "throttled"
    else:
        try:
            _send(ctx, row, user, channel)
        except BaseException:
            _record(ctx, row.realm, user.id, AUDIT_LINK_FAILED, channel)
            raise  # the outbox tries the request again; this send no longer throttles it
        outcome = f"{channel}_link"
    log.info("password reset request %s: %s", request_id, outcome)
    return outcome


def _channel(row: ResetRequestRecord, user: UserRecord) -> str | None:
    """SMS when asked and the account has a verified number; else email, if it has one."""
    if row.channel == "sms" and _verified_phone(user):
        return "sms"
    return "email" if user.email else None


def _reserve_a_send(ctx: Context, realm: str, user_id: str, channel: str) -> bool:
    """Record the send before it is made, unless one went to the account within
    RESEND_AFTER. One decision per account at a time (a held mark): requests for the same
    account by NIK, SID and username, delivered by parallel outbox threads, each saw no
    recent send and each sent."""
    now = ctx.clock()
    with ctx.store.transaction() as tx:
        tx.sync_marks.hold(f"password-reset:{realm}:{user_id}")
        sent = tx.audit.last_occurred(realm=realm, event_type=AUDIT_LINK_SENT,
                                      subject_id=user_id)
        failed = tx.audit.last_occurred(realm=realm, event_type=AUDIT_LINK_FAILED,
                                        subject_id=user_id)
        if sent is not None and sent > now - RESEND_AFTER and (failed is None or failed < sent):
            return False
        tx.audit.record(realm=realm, event_type=AUDIT_LINK_SENT, occurred_at=now,
                        subject_id=user_id, details={"channel": channel})
    return True


def _send(ctx: Context, row: ResetRequestRecord, user: UserRecord, channel: str) -> None:
    if channel == "sms":
        _send_sms_link(ctx, row, user)
        return
    settings = ctx.settings_of(row.realm)
    ctx.keycloak.send_actions_email(
        row.realm, user.id, ["UPDATE_PASSWORD"], client_id=settings.client_id,
        redirect_uri=settings.after_change_url,
        lifespan_seconds=int(LINK_LIFETIME.total_seconds()))


def _record(ctx: Context, realm: str, user_id: str, event_type: str, channel: str) -> None:
    with ctx.store.transaction() as tx:
        tx.audit.record(realm=realm, event_type=event_type, occurred_at=ctx.clock(),
                        subject_id=user_id, details={"channel": channel})


def _resolve(ctx: Context, realm: str, identifier: str) -> UserRecord | None:
    allowed = ctx.settings_of(realm).lookups
    for lookup in (found for found in lookups_for(identifier) if found.kind in allowed):
        if lookup.kind == "username":
            user = ctx.keycloak.find_by_username(realm, lookup.value)
        else:
            user = next(iter(ctx.index.accounts_holding(realm, lookup.kind, lookup.value)),
                        None)
        if user is not None:
            return user
    return None


def _send_sms_link(ctx: Context, row: ResetRequestRecord, user: UserRecord) -> None:
    raw = secrets.token_urlsafe(32)
    token = ctx.signer.dumps(raw)
    now = ctx.clock()
    lifetime = LINK_LIFETIME
    with ctx.store.transaction() as tx:
        link_id = tx.password_resets.add_link(
            token_hash=token_hash(raw), realm=row.realm, user_id=user.id, locale=row.locale,
            now=now, expires_at=now + lifetime)
        tx.outbox.enqueue(
            kind=OUTBOX_SMS_LINK, now=now, idempotency_key=f"password_reset_link:{link_id}",
            payload={"to": user.attributes["phoneNumber"],
                     "url": ctx.settings_of(row.realm).link_url(token),
                     "locale": row.locale, "realm": row.realm,
                     "ttl_minutes": int(lifetime.total_seconds() // 60),
                     "expires_at": (now + lifetime).isoformat()})


def _verified_phone(user: UserRecord) -> bool:
    return bool(user.attributes.get("phoneNumber")) \
        and user.attributes.get("phoneNumberVerified") == "true"
