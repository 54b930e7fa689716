"""The activation email of a new self-registered account (AKSes A5, OSS O5): Keycloak's
execute-actions email -- verify the address, set a password -- queued in the transaction that
records the account and sent by the outbox worker. The email theme names the username
(themes/gerbang/email); no password is ever mailed.

A resend (AKSes "Kirim Ulang") is sent only while the account's address is still unverified.
Keycloak's execute-actions email is not idempotent, so a worker that dies mid-send does not
send it again (the outbox's default).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from gerbang_sidecar.domain.registration_lifecycle import ACTIVATED
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakError, KeycloakUnavailable, KeycloakUsers
from gerbang_sidecar.ports.storage import StorageError, Store, Transaction
from gerbang_sidecar.services.outbox_worker import Delivery, PermanentFailure

log = logging.getLogger(__name__)

# Keycloak's required actions the email leads through: verify the address, set a password.
ACTIVATION_ACTIONS = ("VERIFY_EMAIL", "UPDATE_PASSWORD")


@dataclass(frozen=True)
class ActivationEmails:
    """One portal's activation emails: sent as ``outbox_kind``, leading back to
    ``redirect_uri`` through its portal client."""

    store: Store
    keycloak: KeycloakUsers
    clock: Clock
    realm: str
    client_id: str
    redirect_uri: str
    outbox_kind: str
    link_lifespan: timedelta = timedelta(hours=12)
    # BSrE (B6) adds CONFIGURE_TOTP: Keycloak runs it before the password by priority.
    actions: tuple[str, ...] = ACTIVATION_ACTIONS

    def queue(self, tx: Transaction, registration_id: int, *, now: datetime,
              resend: bool = False) -> None:
        tx.outbox.enqueue(
            kind=self.outbox_kind, now=now,
            idempotency_key=f"{self.realm}_activation_email:{registration_id}:"
                            f"{now.isoformat()}",
            payload={"registration_id": registration_id, "resend": resend})

    def deliver(self, delivery: Delivery) -> None:
        """The outbox handler: when the registration has an account whose address is not
        verified yet, Keycloak renders and sends the email. Keycloak down: raised, so the
        worker retries."""
        registration_id = int(delivery.payload["registration_id"])
        with self.store.transaction() as tx:
            row = tx.registrations.get(registration_id)
        if row is None or row.status != ACTIVATED or row.keycloak_user_id is None:
            return  # declined, or the account is not made yet (its own email follows)
        user_id = row.keycloak_user_id
        resend = bool(delivery.payload.get("resend"))
        try:
            # The first email follows the account's creation; a resend may come after the
            # owner finished, or after the account was removed.
            if resend and ((user := self.keycloak.get_user(self.realm, user_id)) is None
                           or user.email_verified):
                return
            self.keycloak.send_actions_email(
                self.realm, user_id, list(self.actions), client_id=self.client_id,
                redirect_uri=self.redirect_uri,
                lifespan_seconds=int(self.link_lifespan.total_seconds()))
        except KeycloakUnavailable:
            raise
        except KeycloakError as exc:  # the user is gone or refused: a retry cannot help
            raise PermanentFailure(
                f"activation email refused ({type(exc).__name__})") from exc
        try:
            with self.store.transaction() as tx:
                tx.audit.record(
                    realm=self.realm,
                    event_type=f"{self.realm}.registration.activation_email_sent",
                    occurred_at=self.clock(), actor=user_id, subject_id=user_id,
                    details={"registration_id": registration_id, "resend": resend})
        except StorageError as exc:
            # The mail has left: failing now would make the worker send it a second time.
            log.error("activation email for %s registration %s sent, audit not written (%s)",
                      self.realm, registration_id, type(exc).__name__)
