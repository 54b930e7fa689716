"""Logins to the sidecar's portal pages, held in the database (X9).

The browser's cookie carries a random key and nothing else of the login; the row behind it is
what the pages trust. So a cookie copied before stops working as soon as the row is gone:

* logging out ends every sidecar login of that account (all its rows);
* the sidecar's own password reset ends them too (``end_all``);
* Keycloak's side -- a logout elsewhere, a password reset on Keycloak's pages that signs the
  other sessions out, an admin's sign-out or disabling the account -- is seen by asking
  Keycloak whether the login's session still lives, at most ``recheck`` after the last
  answer (``PORTAL_SESSION_RECHECK_SECONDS``). Keycloak unreachable: the login holds for
  one more ``grace``, then the user must log in again (fail closed).

A login lives as long as Keycloak's session was given to live when it began (its idle
limit), and Keycloak does not see the pages the sidecar serves. So a login past half its
life, which Keycloak confirmed within ``recheck``, is *due for renewal*: the next page goes
through Keycloak's login again, silently, which keeps Keycloak's session alive for as long
as the user is busy on the sidecar's pages (an idle user is still logged out at the limit).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from gerbang_sidecar.domain.tokens import new_token, plausible, token_hash
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUnavailable, KeycloakUsers
from gerbang_sidecar.ports.storage import PortalSessionRecord, Store, Transaction

log = logging.getLogger(__name__)


RENEWAL_MIN_AGE = timedelta(minutes=1)


@dataclass(frozen=True)
class PortalLogin:
    """What a page knows of the user logged in through one client."""

    realm: str
    client_id: str
    subject: str
    data: dict[str, Any]  # username, name, email, roles, id_token: what the pages show
    expires_at: datetime
    # Past half its life and Keycloak answered within the recheck: renew it through
    # Keycloak (never while Keycloak cannot be reached: the page is served as it is).
    renewal_due: bool = False


@dataclass
class PortalSessions:
    store: Store
    keycloak: KeycloakUsers
    clock: Clock
    recheck: timedelta = timedelta(seconds=30)
    grace: timedelta = timedelta(minutes=5)

    def start(self, *, realm: str, client_id: str, subject: str,
              keycloak_session: str | None, data: dict[str, Any],
              lifetime: timedelta) -> str:
        """A new login; the key goes into the browser's cookie, only its hash is stored."""
        key = new_token()
        now = self.clock()
        with self.store.transaction() as tx:
            tx.portal_sessions.purge_expired(now=now)
            tx.portal_sessions.add(key_hash=token_hash(key), realm=realm, client_id=client_id,
                                   subject=subject, keycloak_session=keycloak_session,
                                   data=data, now=now, expires_at=now + lifetime)
        return key

    def current(self, key: object) -> PortalLogin | None:
        """The login behind a cookie's key, while it holds here and at Keycloak."""
        now = self.clock()
        with self.store.transaction() as tx:
            row = _row_of(tx, key)
            if row is None:
                return None
            if row.expires_at <= now:
                tx.portal_sessions.end(row.id)
                return None
            halfway = row.created_at + (row.expires_at - row.created_at) / 2
            # Never one renewal after another: near the end of Keycloak's longest session
            # each answer lives only seconds.
            due = now >= max(halfway, row.created_at + RENEWAL_MIN_AGE)
            login = PortalLogin(row.realm, row.client_id, row.subject, dict(row.data),
                                row.expires_at, renewal_due=due)
            session_id, row_id, checked_at = row.keycloak_session, row.id, row.checked_at
        if now - checked_at < self.recheck:
            return login
        try:
            alive = session_id is not None and self.keycloak.session_alive(
                login.realm, login.subject, session_id)
        except KeycloakUnavailable:
            if now - checked_at < self.recheck + self.grace:
                return replace(login, renewal_due=False)
            log.warning("portal login %s: keycloak unreachable past the grace period", row_id)
            return None
        with self.store.transaction() as tx:
            if alive:
                tx.portal_sessions.mark_checked(row_id, now=now)
            else:
                tx.portal_sessions.end(row_id)
        if not alive:
            log.info("portal login %s ended: its keycloak session is gone", row_id)
            return None
        return login

    def end(self, key: object) -> PortalLogin | None:
        """Logout: every sidecar login of the account behind ``key`` ends (X9)."""
        with self.store.transaction() as tx:
            row = _row_of(tx, key)
            if row is None:
                return None
            login = PortalLogin(row.realm, row.client_id, row.subject, dict(row.data),
                                row.expires_at)
            tx.portal_sessions.end_all(realm=row.realm, subject=row.subject)
        return login

    def end_one(self, key: object) -> None:
        """This login alone ends (the cookie that held it moved on to another login); the
        account's logins on other devices stay."""
        with self.store.transaction() as tx:
            row = _row_of(tx, key)
            if row is not None:
                tx.portal_sessions.end(row.id)

    def amend(self, realm: str, subject: str,
              change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        """Change what every login of one account shows (its email was registered, a role
        went), so the pages follow at once rather than at the next login."""
        with self.store.transaction() as tx:
            for row in tx.portal_sessions.of_subject(realm=realm, subject=subject):
                tx.portal_sessions.set_data(row.id, change(dict(row.data)))

    def end_all(self, realm: str, subject: str) -> int:
        with self.store.transaction() as tx:
            return tx.portal_sessions.end_all(realm=realm, subject=subject)

    def purge_expired(self) -> int:
        with self.store.transaction() as tx:
            return tx.portal_sessions.purge_expired(now=self.clock())


def _row_of(tx: Transaction, key: object) -> PortalSessionRecord | None:
    """The login row a cookie's key names; None for anything that is no key of ours (the
    database is not asked)."""
    if not isinstance(key, str) or not plausible(key):
        return None
    return tx.portal_sessions.by_key_hash(token_hash(key))
