"""The identity index follows Keycloak's accounts (issue 11 item 4, X3).

Registration's duplicate check and forgot password find accounts by the blind index of the
identity records, because Keycloak's attribute search reads every user of a realm: at
100,000 users it took 0.5-1.7 s (bench/SCALE-RESULTS.md), the index a few milliseconds.
Accounts the sidecar makes get their records at activation; everything else -- the admin
console, the Admin API, partial imports, the sidecar's own profile changes, deletions -- shows
in Keycloak's admin events on users, which this reads from a mark shared by all processes.

Every lookup goes through ``looked_up``, which catches up alongside it, so an account an
administrator made a moment ago is found (one small admin-events read, on Keycloak's time
index); the outbox process also runs ``catch_up`` as a chore so lookups rarely find work.
Without a mark -- a new database, or more changes than ``REBUILD_AFTER`` (a mass import) --
the realm's accounts are read page by page instead.
An identifier held by two accounts stays with the first and is logged (kind only, X3): the
duplicate check refuses such pairs for self-registration, so only an administrator makes them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import TypeVar

from gerbang_sidecar.domain.identity_index import identifiers_of_account
from gerbang_sidecar.portals import portal
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakError, KeycloakUsers, UserRecord
from gerbang_sidecar.ports.storage import Store, Transaction

log = logging.getLogger(__name__)
T = TypeVar("T")

# Admin events are stored when their request commits, stamped when it began: a slow request
# can land behind a faster later one. Each read starts this far before the mark.
OVERLAP_MS = 5_000
# More changed accounts than this since the mark: reading every account is cheaper.
REBUILD_AFTER = 2_000
PAGE = 500


class IdentityIndex:
    def __init__(self, store: Store, keycloak: KeycloakUsers, clock: Clock,
                 kinds_by_realm: Mapping[str, Sequence[str]]) -> None:
        self._store = store
        self._keycloak = keycloak
        self._clock = clock
        self._kinds = dict(kinds_by_realm)
        # realm -> user id -> the change time already followed by this process; lookups of
        # several threads and the chore share it. Per realm, as each realm's reads start from
        # its own mark: what one realm forgets must not make another follow a change again.
        self._followed: dict[str, dict[str, int]] = {realm: {} for realm in self._kinds}
        self._lock = threading.Lock()
        self._rebuilding: dict[str, threading.Lock] = {}

    def catch_up(self, realm: str) -> bool:
        """Follow every account change up to now; True when anything was followed.
        KeycloakError when Keycloak cannot say: the lookup waits rather than trusting an
        index that may lag (the outbox retries)."""
        with self._store.transaction() as tx:
            mark = tx.sync_marks.get(_mark(realm))
        if mark is None:
            self._rebuild_once(realm)
            return True
        changes = self._keycloak.account_changes(realm, since_ms=max(0, mark - OVERLAP_MS),
                                                 limit=REBUILD_AFTER)
        if not changes.complete:
            self._rebuild_once(realm)
            return True
        with self._lock:
            followed = self._followed[realm]
            news = {user_id: time_ms for user_id, time_ms in changes.changed
                    if followed.get(user_id, -1) < time_ms}
        if news:
            self._follow(realm, list(news))
        with self._lock:  # what the next read, starting an overlap before, may return
            self._followed[realm] = {
                user_id: t for user_id, t in (self._followed[realm] | news).items()
                if t >= changes.until_ms - OVERLAP_MS}
        if changes.until_ms > mark:  # no write (and no row lock) when nothing new was read
            with self._store.transaction() as tx:
                tx.sync_marks.advance(_mark(realm), changes.until_ms)
        return bool(news)

    def looked_up(self, realm: str, lookup: Callable[[], T]) -> T:
        """``lookup``'s answer from an index caught up to now. The catch-up (a Keycloak
        request) runs beside the lookup rather than before it -- half the wait -- and the
        lookup runs again in the rare case the catch-up changed the index."""
        found, changed = self._beside_catch_up(realm, lookup)
        return lookup() if changed else found

    def caught_up_beside(self, realm: str, work: Callable[[], T]) -> T:
        """``work``'s answer once the index is caught up to now, the catch-up running beside
        it: for work that does not read the index, so it is never done again."""
        return self._beside_catch_up(realm, work)[0]

    def _beside_catch_up(self, realm: str, work: Callable[[], T]) -> tuple[T, bool]:
        caught_up = self._pool.submit(self.catch_up, realm)
        done = work()
        return done, caught_up.result()

    def accounts_holding(self, realm: str, kind: str, value: str) -> list[UserRecord]:
        """The account holding (kind, value) -- one at most, the index keeps an identifier
        with one account -- read from Keycloak; none when it is gone."""
        def lookup() -> list[UserRecord]:
            with self._store.transaction() as tx:
                owners = tx.identities.owners(realm=realm, pairs=[(kind, value)])
            return [user for user in (self._keycloak.get_user(realm, owner)
                                      for owner in sorted(owners)) if user is not None]
        return self.looked_up(realm, lookup)

    @cached_property
    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=4, thread_name_prefix="identity-index")

    def _rebuild_once(self, realm: str) -> None:
        """One thread of this process reads the realm; lookups that also found it needed
        wait for that one instead of reading it again each."""
        with self._lock:
            lock = self._rebuilding.setdefault(realm, threading.Lock())
        if lock.acquire(blocking=False):
            try:
                self.rebuild(realm)
            finally:
                lock.release()
        else:
            with lock:
                pass

    def rebuild(self, realm: str) -> int:
        """Read every account of ``realm`` into the index; returns how many were read."""
        # The mark is the newest change before reading: later ones are read again next time.
        start = self._keycloak.latest_account_change(realm)
        seen: set[str] = set()
        first = 0
        while page := self._keycloak.list_users(realm, first=first, count=PAGE):
            self._hold(realm, page)
            seen.update(user.id for user in page)
            first += len(page)
        with self._store.transaction() as tx:
            made_here = tx.registrations.account_ids(realm=realm) - seen
        # A page read by offset skips an account when another is deleted meanwhile, and one
        # made since the read is not in it: released identifiers are read again later, but a
        # registration (a Surat Kuasa) is gone for good -- so they are followed one by one.
        if made_here:
            self._follow(realm, sorted(made_here))
        with self._store.transaction() as tx:
            gone = tx.identities.subjects(realm=realm) - seen - made_here
            tx.identities.release_all(realm=realm, subject_ids=gone)
            # The accounts were read after ``start``: the next read begins there, not an
            # overlap before it (after a mass import that overlap alone could be thousands).
            tx.sync_marks.advance(_mark(realm), start + OVERLAP_MS)
        log.info("identity index of %s rebuilt: %s accounts read, %s gone", realm, len(seen),
                 len(gone))
        return len(seen)

    def run(self) -> int:
        """The outbox process's chore: catch up on every realm; returns the realms done."""
        done = 0
        for realm in self._kinds:
            try:
                self.catch_up(realm)
                done += 1
            except KeycloakError as exc:
                log.warning("identity index of %s not brought up to date (%s)", realm,
                            type(exc).__name__)
        return done

    def _follow(self, realm: str, user_ids: Sequence[str]) -> None:
        """The accounts as they are now: a deleted one's identifiers released first, so an
        account that took them over holds them, then the others' held in one transaction."""
        found = {user_id: self._keycloak.get_user(realm, user_id) for user_id in user_ids}
        if gone := [user_id for user_id, user in found.items() if user is None]:
            with self._store.transaction() as tx:
                self.forget(tx, realm, gone)
        if present := [user for user in found.values() if user is not None]:
            self._hold(realm, present)

    @staticmethod
    def forget(tx: Transaction, realm: str, user_ids: Sequence[str]) -> None:
        """Deleted accounts: their identifiers are free again, and what their registrations
        kept (the name, INSW's Surat Kuasa) goes too -- nothing is kept for an account that
        no longer exists."""
        tx.registrations.forget_accounts(realm=realm, keycloak_user_ids=user_ids)
        if released := tx.identities.release_all(realm=realm, subject_ids=user_ids):
            log.info("identity index of %s: deleted accounts' %s identifier(s) released",
                     realm, released)

    def _hold(self, realm: str, users: Sequence[UserRecord]) -> None:
        kinds, now = self._kinds[realm], self._clock()
        refused: set[str] = set()
        with self._store.transaction() as tx:
            refused.update(tx.identities.hold_all(
                realm=realm, created_at=now,
                accounts={user.id: identifiers_of_account(user.email, user.attributes, kinds)
                          for user in users}))
        if refused:
            log.warning("identity index of %s: an account shares its %s with another one",
                        realm, ", ".join(sorted(refused)))


def _mark(realm: str) -> str:
    return f"identity_index:{realm}"


def identity_index(store: Store, keycloak: KeycloakUsers, clock: Clock,
                   realms: Sequence[str]) -> IdentityIndex:
    """The index of Gerbang's portals named, each with the kinds its registration records."""
    return IdentityIndex(store, keycloak, clock, {realm: portal(realm).indexed
                                                  for realm in realms})
