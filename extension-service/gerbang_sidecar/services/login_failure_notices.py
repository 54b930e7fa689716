"""Telling account owners about failed logins -- once per quarter hour at most, never while
the account is locked (issue 8 item 8).

Keycloak's own ``email`` listener mailed every LOGIN_ERROR (31 mails for 30 wrong passwords,
on through the lockout), so it no longer sends those (LOGIN_ERROR is excluded on the server).
The outbox process reads Keycloak's stored LOGIN_ERROR events instead, every ``every``
seconds, and queues one notice per account: not when a notice went out in the last
``quiet`` (the audit trail says when), not while brute-force protection holds the account.
Events recorded while no worker ran are not read afterwards: a missed notice, never a flood.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta

from gerbang_sidecar.ports.clock import Clock, to_ms
from gerbang_sidecar.ports.keycloak import KeycloakError, KeycloakUsers
from gerbang_sidecar.ports.storage import Store

log = logging.getLogger(__name__)

OUTBOX_LOGIN_FAILURE_NOTICE = "login_failure.notice"
NOTICE_SENT = "login_failure.notice_queued"
# Credentials were wrong; a locked account's refusals are not the owner's news.
COUNTED_ERRORS = frozenset({"invalid_user_credentials", "invalid_user"})


class LoginFailureNotices:
    def __init__(self, store: Store, keycloak: KeycloakUsers, clock: Clock,
                 realms: Iterable[str], quiet: timedelta = timedelta(minutes=15)) -> None:
        self._store = store
        self._keycloak = keycloak
        self._clock = clock
        self._quiet = quiet
        start = to_ms(clock())
        self._since = {realm: start for realm in realms}

    def run(self) -> int:
        """One poll of every realm; returns the notices queued."""
        queued = 0
        for realm in self._since:
            try:
                queued += self._poll(realm)
            except KeycloakError as exc:
                log.warning("login failures of %s not read (%s)", realm, type(exc).__name__)
        return queued

    def _poll(self, realm: str) -> int:
        failures = self._keycloak.login_failures(realm, since_ms=self._since[realm])
        if not failures:
            return 0
        self._since[realm] = max(f.time_ms for f in failures)
        counts = Counter(f.user_id for f in failures if f.error in COUNTED_ERRORS)
        queued = 0
        for user_id, count in counts.items():
            if self._keycloak.is_locked(realm, user_id):
                continue
            now = self._clock()
            with self._store.transaction() as tx:
                last = tx.audit.last_occurred(realm=realm, event_type=NOTICE_SENT,
                                              subject_id=user_id)
                if last is not None and now - last < self._quiet:
                    continue
                tx.outbox.enqueue(
                    kind=OUTBOX_LOGIN_FAILURE_NOTICE, now=now,
                    idempotency_key=f"login_failure:{realm}:{user_id}:{now.isoformat()}",
                    payload={"realm": realm, "user_id": user_id, "failures": count,
                             "at": now.isoformat()})
                tx.audit.record(realm=realm, event_type=NOTICE_SENT, occurred_at=now,
                                subject_id=user_id, details={"failures": count})
            queued += 1
        return queued
