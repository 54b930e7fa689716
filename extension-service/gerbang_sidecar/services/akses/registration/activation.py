""""Aktivasi" (A5, X1): accept the pending registration and hand it to the outbox worker.

The page's request writes one row change and one outbox message in one transaction; the
account itself is made by the worker (account.py). So "Aktivasi" answers the same, in the
same time, whether an identifier already has an account or not (X1), a double click accepts
once (a conditional update), and a Keycloak outage after "Aktivasi" delays the account
instead of losing it: the worker retries until Keycloak is back.
"""

from __future__ import annotations

import logging

from gerbang_sidecar.domain.registration_lifecycle import ACCEPTED
from gerbang_sidecar.domain.tokens import plausible, token_hash
from gerbang_sidecar.ports.storage import StorageError
from gerbang_sidecar.services.akses.registration.context import Context, name_of
from gerbang_sidecar.services.akses.registration.results import (
    ActivateResult,
    ActivationAccepted,
    RegistrationNotFound,
)
from gerbang_sidecar.services.results import TemporaryProblem

log = logging.getLogger(__name__)

OUTBOX_MAKE_ACCOUNT = "akses.make_account"


def activate(ctx: Context, token: str) -> ActivateResult:
    if not plausible(token):
        return RegistrationNotFound()
    hashed = token_hash(token)
    now = ctx.clock()
    try:
        with ctx.store.transaction() as tx:
            # The conditional update is the transaction's first statement: on SQLite it takes
            # the write lock straight away, so concurrent clicks queue instead of deadlocking.
            accepted = tx.registrations.accept(
                hashed, realm=ctx.settings.realm, now=now,
                pending_since=now - ctx.settings.pending_lifetime)
            row = tx.registrations.by_token_hash(hashed)
            if accepted and row is not None:
                tx.outbox.enqueue(
                    kind=OUTBOX_MAKE_ACCOUNT, now=now,
                    idempotency_key=f"akses_make_account:{row.id}",
                    payload={"registration_id": row.id})
                tx.audit.record(realm=ctx.settings.realm, occurred_at=now,
                                event_type="akses.registration.accepted",
                                details={"registration_id": row.id})
    except StorageError:
        return TemporaryProblem()
    if row is None or row.realm != ctx.settings.realm or row.status not in ACCEPTED:
        return RegistrationNotFound()  # unknown, or pending past its lifetime
    if accepted:
        log.info("akses registration %s accepted", row.id)
    return ActivationAccepted(name=name_of(row), resend_available_at=ctx.resend_available_at(row))
