"""Accounts a self-registration made that nobody activated (AKSes A5, OSS O5, X3, X10).

An accepted registration makes its account at once and mails the activation link; until
the owner follows it (verifies the address, sets a password) the account holds only what
was typed on the form. OSS checks a passport against no registry, so a stranger can have an
account made for anyone's email; an account nobody activates would otherwise keep that
email, NIK or passport -- and the data typed with it -- for ever, and its real owner would be
told "you already have an account" when registering.

A portal that lets its accounts expire (``Portal.unactivated_kept``) has them removed by
housekeeping once that long has passed since the form: an account that still has neither a
verified address nor a password, in Keycloak, and for which no forgot-password link was
asked in the last day, is disabled, looked at again and deleted; its identifiers are
released and its registration forgotten at once (the identity index's ``forget``), an audit
event records it, and its owner may register again. Accounts someone decided on (INSW's
reviewed, BSrE's verified) are not swept.

Each realm is read from a mark that only moves forward (``sync_marks``): a registration is
looked at once, when its time has come, not on every run. An account spared for a password
link is looked at again when that day is over (``look_again_at``); links asked again and
again -- anyone who knows the email may ask -- spare it for at most ``SPARE_LIMIT`` from
the first time (``spare_ends_at``). Keycloak unreachable: the run stops where it was and
the next one goes on from there; an account Keycloak refuses otherwise is put off a day.

Logs carry counts, never an identifier (X3).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakError, KeycloakUnavailable, KeycloakUsers
from gerbang_sidecar.ports.storage import RegistrationRecord, Store
from gerbang_sidecar.services.identity_index import IdentityIndex
from gerbang_sidecar.services.password_reset.context import AUDIT_LINK_SENT

log = logging.getLogger(__name__)

BATCH = 200
# A forgot-password link asked for this lately spares the account (the link lives 15 minutes;
# the owner may still be reading the mail).
RESET_GRACE = timedelta(days=1)
# How long after it is first spared an unactivated account may be spared, however many links
# are asked: an owner who really wants it in has set a password by then (a link lives 15
# minutes).
SPARE_LIMIT = timedelta(days=7)
# An account Keycloak refuses to disable or delete (not an outage) is tried again this late.
PUT_OFF = timedelta(days=1)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _mark(realm: str) -> str:
    return f"unactivated_accounts:{realm}"


def microseconds(moment: datetime) -> int:
    """Exactly (a float timestamp may round): the mark must not pass a row's own time."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_microseconds(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


@dataclass(frozen=True)
class UnactivatedAccounts:
    store: Store
    keycloak: KeycloakUsers
    clock: Clock
    kept: Mapping[str, timedelta]  # realm -> how long after the form an account may wait
    batch: int = BATCH
    # A first run after years of registrations reads them in steps between the outbox's
    # deliveries, not all at once.
    batches_per_run: int = 5

    def sweep(self) -> int:
        """Housekeeping's call: the accounts removed in every realm."""
        return sum(self._sweep(realm, self.clock() - kept) for realm, kept in self.kept.items())

    def _sweep(self, realm: str, until: datetime) -> int:
        stopped, removed = self._look_again(realm)
        for _ in range(0 if stopped else self.batches_per_run):
            done, count = self._batch(realm, until)
            removed += count
            if done:
                break
        if removed:
            log.info("unactivated accounts of %s: %s removed", realm, removed)
        return removed

    def _look_again(self, realm: str) -> tuple[bool, int]:
        """(Keycloak unreachable, accounts removed) among the ones spared earlier whose time
        to be looked at again has come."""
        with self.store.transaction() as tx:
            rows = tx.registrations.due_to_look_again(realm=realm, now=self.clock(),
                                                      limit=self.batch)
        removed = 0
        for row in rows:
            try:
                removed += self._look_at(realm, row)
            except KeycloakUnavailable:
                log.warning("unactivated accounts of %s: stopped (Keycloak unreachable)", realm)
                return True, removed
        return False, removed

    def _batch(self, realm: str, until: datetime) -> tuple[bool, int]:
        """(nothing more to read now, accounts removed) for the next batch after the mark."""
        with self.store.transaction() as tx:
            after = from_microseconds(tx.sync_marks.get(_mark(realm)) or 0)
            rows = tx.registrations.activated_made_between(realm=realm, after=after,
                                                           until=until, limit=self.batch)
        removed, reached, done = 0, after, len(rows) < self.batch
        try:
            for n, row in enumerate(rows):
                removed += self._look_at(realm, row)
                # The mark may pass a moment only once every row of it is looked at.
                if n + 1 == len(rows) or rows[n + 1].created_at != row.created_at:
                    reached = row.created_at
            if done:
                reached = until
        except KeycloakUnavailable:
            log.warning("unactivated accounts of %s: stopped (Keycloak unreachable)", realm)
            done = True
        with self.store.transaction() as tx:
            tx.sync_marks.advance(_mark(realm), microseconds(reached))
        return done, removed

    def _look_at(self, realm: str, row: RegistrationRecord) -> bool:
        """Removed or not; an outage stops the run (KeycloakUnavailable), while one account
        Keycloak refuses otherwise is looked at again a day later instead of holding up
        every later one."""
        try:
            return self._remove_if_unused(realm, row)
        except KeycloakUnavailable:
            raise
        except KeycloakError as exc:
            log.warning("unactivated accounts of %s: registration %s put off a day (%s)",
                        realm, row.id, type(exc).__name__)
            self._look_again_at(row, self.clock() + PUT_OFF, row.spare_ends_at)
            return False

    def _remove_if_unused(self, realm: str, row: RegistrationRecord) -> bool:
        user_id = row.keycloak_user_id
        if user_id is None:
            return False
        if not self._unused(realm, user_id):
            self._look_again_at(row, None, None)  # its owner is in: never again
            return False
        if (spared := self._spared(realm, user_id, row)) is not None:
            self._look_again_at(row, *spared)
            return False
        # Disabled first, then looked at again: a password set or a link asked for a moment
        # ago shows now, and a disabled account takes no action token any more.
        self.keycloak.update_user(realm, user_id, enabled=False)
        try:
            used = not self._unused(realm, user_id)
            spared = None if used else self._spared(realm, user_id, row)
            if not used and spared is None:
                self.keycloak.delete_user(realm, user_id)
        except KeycloakError:
            self._enable(realm, user_id)  # never left disabled by a sweep that stopped
            raise
        if used or spared is not None:
            self._enable(realm, user_id)
            self._look_again_at(row, *(spared or (None, None)))
            return False
        with self.store.transaction() as tx:
            IdentityIndex.forget(tx, realm, [user_id])
            tx.audit.record(realm=realm, event_type=f"{realm}.registration.expired",
                            occurred_at=self.clock(), subject_id=user_id,
                            details={"registration_id": row.id, "reason": "not activated"})
        return True

    def _enable(self, realm: str, user_id: str) -> None:
        try:
            self.keycloak.update_user(realm, user_id, enabled=True)
        except KeycloakError as exc:
            # Its owner cannot log in until an administrator enables it: say which one.
            log.error("unactivated accounts of %s: account %s left disabled (%s)", realm,
                      user_id, type(exc).__name__)

    def _unused(self, realm: str, user_id: str) -> bool:
        """Neither a verified address nor a password: nobody ever got in. A gone account is
        not unused here (the identity index follows deletions itself)."""
        user = self.keycloak.get_user(realm, user_id)
        return user is not None and not user.email_verified \
            and not self.keycloak.has_password(realm, user_id)

    def _spared(self, realm: str, user_id: str, row: RegistrationRecord
                ) -> tuple[datetime, datetime] | None:
        """(look again at, spared no longer than) when its owner asked for a password link
        lately (forgot password): they are on their way in, and the link still works. A day
        after that link it is looked at again; ``SPARE_LIMIT`` after it was first spared,
        links no longer spare it."""
        now = self.clock()
        ends = row.spare_ends_at or now + SPARE_LIMIT
        if now > ends:
            return None
        with self.store.transaction() as tx:
            sent = tx.audit.last_occurred(realm=realm, subject_id=user_id,
                                          event_type=AUDIT_LINK_SENT)
        if sent is None or sent <= now - RESET_GRACE:
            return None
        return sent + RESET_GRACE, ends

    def _look_again_at(self, row: RegistrationRecord, at: datetime | None,
                       spare_ends_at: datetime | None) -> None:
        if (at, spare_ends_at) != (row.look_again_at, row.spare_ends_at):
            with self.store.transaction() as tx:
                tx.registrations.look_again(row.id, at, spare_ends_at=spare_ends_at)
