"""Accounts a self-registration made that nobody activated (AKSes A5, OSS O5, X3, X10).

An accepted registration makes its account at once and mails the activation link; until
the owner follows it (verifies the address, sets a password) the account holds only what
was typed on the form. OSS checks a passport against no registry, so a stranger can have an
account made for anyone's email; an account nobody activates would otherwise keep that
email, NIK or passport -- and the data typed with it -- for ever, and its real owner would be
told "you already have an account" when registering.

A portal that lets its accounts expire (``Portal.unactivated_kept``) has them removed by
housekeeping once that long has passed since the form: an account that still has neither a
verified address nor a password, in Keycloak, is deleted; its identifiers are released and
its registration forgotten at once (the identity index's ``forget``), an audit event records
it, and its owner may register again. Accounts someone decided on (INSW's reviewed, BSrE's
verified) are not swept.

Each realm is read from a mark that only moves forward (``sync_marks``): a registration is
looked at once, when its time has come, not on every run. Keycloak unreachable: the run
stops where it was and the next one goes on from there.

Logs carry counts, never an identifier (X3).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakError, KeycloakUsers
from gerbang_sidecar.ports.storage import RegistrationRecord, Store
from gerbang_sidecar.services.identity_index import IdentityIndex

log = logging.getLogger(__name__)

BATCH = 200


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
    # A first run after years of registrations reads them in steps, not all at once.
    batches_per_run: int = 25

    def sweep(self) -> int:
        """Housekeeping's call: the accounts removed in every realm."""
        return sum(self._sweep(realm, self.clock() - kept) for realm, kept in self.kept.items())

    def _sweep(self, realm: str, until: datetime) -> int:
        removed = 0
        for _ in range(self.batches_per_run):
            done, count = self._batch(realm, until)
            removed += count
            if done:
                break
        if removed:
            log.info("unactivated accounts of %s: %s removed", realm, removed)
        return removed

    def _batch(self, realm: str, until: datetime) -> tuple[bool, int]:
        """(nothing more to read now, accounts removed) for the next batch after the mark."""
        with self.store.transaction() as tx:
            after = from_microseconds(tx.sync_marks.get(_mark(realm)) or 0)
            rows = tx.registrations.activated_made_between(realm=realm, after=after,
                                                           until=until, limit=self.batch)
        removed: list[str] = []
        reached, done = after, len(rows) < self.batch
        try:
            for row in rows:
                if self._remove_if_unused(realm, row):
                    removed.append(str(row.keycloak_user_id))
                reached = row.created_at  # the batch holds every row of its last moment
            if done:
                reached = until
        except KeycloakError as exc:
            log.warning("unactivated accounts of %s: stopped (%s)", realm, type(exc).__name__)
            done = True
        now = self.clock()
        with self.store.transaction() as tx:
            IdentityIndex.forget(tx, realm, removed)
            for user_id in removed:
                tx.audit.record(realm=realm, event_type=f"{realm}.registration.expired",
                                occurred_at=now, subject_id=user_id,
                                details={"reason": "not activated"})
            tx.sync_marks.advance(_mark(realm), microseconds(reached))
        return done, len(removed)

    def _remove_if_unused(self, realm: str, row: RegistrationRecord) -> bool:
        user_id = row.keycloak_user_id
        if user_id is None:
            return False
        user = self.keycloak.get_user(realm, user_id)
        if user is None or user.email_verified or self.keycloak.has_password(realm, user_id):
            return False  # gone already (the index follows), or its owner used it
        self.keycloak.delete_user(realm, user_id)
        return True
