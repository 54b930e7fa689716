"""B1: a Verifikator registers a user of their instansi; an "Aktivasi Akun" email carries a
single-use, expiring link to the activation wizard; the verifier sees the link's state and
sends a new link once it has expired.

The invitation is a pending row of the shared registrations table (type ``undangan``), scoped
by the instansi and expiring with its link; its token is stored only as a hash and the mail
leaves through the outbox in the same transaction. Every list and action checks the scope on
the server: an officer asking for a row of another instansi gets the same answer as for a row
that does not exist. Logs carry row ids, never an identifier (X3).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from gerbang_sidecar.domain.bsre.activation_form import (
    INVITATION_FIELDS,
    INVITED,
    SELF_REGISTRATION_FIELDS,
    FieldErrors,
    validate_invitation,
    validate_self_registration,
)
from gerbang_sidecar.domain.identifiers import IdentifierError, parse_email, parse_nik
from gerbang_sidecar.domain.registration_lifecycle import (
    ACTIVATED,
    ACTIVATING,
    DECLINED,
    IN_REVIEW,
    PENDING,
    REJECTED,
)
from gerbang_sidecar.domain.registry_results import Match, Unavailable
from gerbang_sidecar.domain.tokens import new_token, token_hash
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.registries import Bkn
from gerbang_sidecar.ports.storage import RegistrationRecord, StorageError, Store, Transaction
from gerbang_sidecar.services.bsre.officers import Officer
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.texts import normalise

log = logging.getLogger(__name__)

OUTBOX_ACTIVATION_LINK = "bsre.activation_link"
PAGE_SIZE = 20
# A name is stored encrypted, so a name search reads the newest invitations of the scope and
# matches them here: an instansi's fit many times over; beyond, the page says so.
NAME_SEARCH_ROWS = 2000


@dataclass(frozen=True)
class BsreSettings:
    public_url: str
    realm: str = "bsre"
    client_id: str = "bsre-portal"
    portal_path: str = "bsre"
    link_lifetime: timedelta = timedelta(days=3)

    @property
    def portal_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/{self.portal_path}"

    def activation_url(self, token: str) -> str:
        return f"{self.portal_url}/aktivasi/t/{token}"


class LinkState(StrEnum):
    """What the verifier's list shows of each registration."""

    SENT = "sent"  # the link works, the wizard is not submitted
    EXPIRED = "expired"  # "Kirim Ulang" possible
    IN_REVIEW = "in_review"  # "Lainnya": waiting for a verifier (B5)
    ACTIVE = "active"  # verified; the account exists or is being made
    REJECTED = "rejected"  # rejected by a verifier, or declined (already had an account)


_STATUSES: dict[LinkState, tuple[tuple[str, ...], bool | None]] = {
    LinkState.SENT: ((PENDING,), False),
    LinkState.EXPIRED: ((PENDING,), True),
    LinkState.IN_REVIEW: ((IN_REVIEW,), None),
    LinkState.ACTIVE: ((ACTIVATING, ACTIVATED), None),
    LinkState.REJECTED: ((REJECTED, DECLINED), None),
}
ALL_STATUSES = (PENDING, IN_REVIEW, ACTIVATING, ACTIVATED, REJECTED, DECLINED)


def _lookup(query: str) -> tuple[str, str] | None:
    text = query.strip()
    if not text:
        return None
    try:
        if "@" in text:
            return "email", parse_email(text).value
        return "nik", parse_nik(text).value
    except IdentifierError:
        return None


def name_words(query: str) -> list[str]:
    """The words of a name search, compared without case; none when the query has no word
    of two letters or more (one letter would match nearly every name)."""
    words = query.casefold().split()
    return words if any(sum(c.isalpha() for c in w) >= 2 for w in words) else []


def name_matches(name: str, words: list[str]) -> bool:
    """Every word of the search appears in the name (``agus wij`` finds Agus Wijaya)."""
    folded = " ".join(name.casefold().split())
    return all(word in folded for word in words)


def link_state(row: RegistrationRecord, now: datetime) -> LinkState:
    if row.status == PENDING:
        expired = row.expires_at is not None and row.expires_at <= now
        return LinkState.EXPIRED if expired else LinkState.SENT
    if row.status == IN_REVIEW:
        return LinkState.IN_REVIEW
    if row.status in (ACTIVATING, ACTIVATED):
        return LinkState.ACTIVE
    return LinkState.REJECTED


@dataclass(frozen=True)
class Invited:
    registration_id: int


@dataclass(frozen=True)
class Summary:
    registration_id: int
    name: str
    email: str
    instansi: str
    state: LinkState
    created_at: datetime
    expires_at: datetime | None
    user_id: str | None = None  # the Keycloak account, once made


@dataclass(frozen=True)
class Page:
    items: list[Summary]
    total: int
    page: int
    pages: int
    # A name search that read only the newest invitations: how many (0: it read them all).
    searched_only: int = 0


@dataclass(frozen=True)
class Resent:
    expires_at: datetime


@dataclass(frozen=True)
class LinkSent:
    """B1 by NIP: BKN knows the pair; the link went to the typed address."""


@dataclass(frozen=True)
class NotRegistered:
    """B1 by NIP: BKN does not hold this NIP with this NIK ("NOT_REGISTERED")."""


@dataclass(frozen=True)
class NotExpired:
    """The link still works (or the activation went on): nothing was sent."""


class Invitations:
    def __init__(self, store: Store, clock: Clock, settings: BsreSettings,
                 bkn: Bkn | None = None) -> None:
        self._store = store
        self._clock = clock
        self.settings = settings
        self._bkn = bkn

    def self_register(self, form: Mapping[str, str | None], *, locale: str = "id"
                      ) -> LinkSent | NotRegistered | FormErrors | TemporaryProblem:
        """B1 by NIP (the manual's MyASN path): NIP and NIK checked with BKN; a match gets
        the same "Aktivasi Akun" link a Verifikator would send, scoped to the instansi BKN
        names. Whether an account exists is not looked at here (X1): a duplicate is declined
        at the end of the wizard and only the account's owner is told."""
        kept = {f: str(form.get(f) or "") for f in SELF_REGISTRATION_FIELDS}
        validated = validate_self_registration(form)
        if isinstance(validated, FieldErrors):
            return FormErrors(validated.errors, kept)
        assert self._bkn is not None
        answer = self._bkn.verify_civil_servant(validated["nip"], validated["nik"])
        if isinstance(answer, Unavailable):
            log.warning("bsre self-registration: registry %s unavailable (%s)",
                        answer.registry, answer.reason)
            return TemporaryProblem()
        if not isinstance(answer, Match):
            return NotRegistered()
        person = answer.data
        invited = {"name": person.name.title(), "nik": validated["nik"],
                   "email": validated["email"]}
        now = self._clock()
        token = new_token()
        try:
            with self._store.transaction() as tx:
                row = tx.registrations.add(
                    token_hash=token_hash(token), realm=self.settings.realm,
                    registration_type=INVITED, locale=normalise(locale) or "id", now=now,
                    scope=person.instansi, expires_at=now + self.settings.link_lifetime,
                    searchable={"nik": invited["nik"], "email": invited["email"]},
                    data={"invited": invited, "email": invited["email"],
                          "instansi": person.instansi, "invited_by": "self:nip",
                          "nip": validated["nip"]})
                self._queue_link(tx, row.id, token, invited, person.instansi, row.locale, now,
                                 typed_by_anyone=True)
                tx.audit.record(realm=self.settings.realm, occurred_at=now,
                                event_type="bsre.invitation.sent",
                                details={"registration_id": row.id, "self": True,
                                         "checks": ["bkn.nip_nik"]})
        except StorageError:
            return TemporaryProblem()
        return LinkSent()

    def register(self, officer: Officer, form: Mapping[str, str | None], *,
                 instansi: str | None = None, locale: str = "id"
                 ) -> Invited | FormErrors | TemporaryProblem:
        """The verifier's own instansi is preset; an RA names one (``instansi``)."""
        kept = {f: str(form.get(f) or "") for f in INVITATION_FIELDS}
        validated = validate_invitation(form)
        scope = officer.instansi or " ".join((instansi or "").split())[:255]
        if isinstance(validated, FieldErrors) or not scope:
            errors = dict(validated.errors) if isinstance(validated, FieldErrors) else {}
            if not scope:
                errors["instansi"] = IdentifierError("instansi.required")
            return FormErrors(errors, kept)
        now = self._clock()
        token = new_token()
        try:
            with self._store.transaction() as tx:
                row = tx.registrations.add(
                    token_hash=token_hash(token), realm=self.settings.realm,
                    registration_type=INVITED, locale=normalise(locale) or "id", now=now,
                    scope=scope, expires_at=now + self.settings.link_lifetime,
                    searchable={"nik": validated["nik"], "email": validated["email"]},
                    data={"invited": validated, "email": validated["email"],
                          "instansi": scope, "invited_by": officer.user_id})
                self._queue_link(tx, row.id, token, validated, scope, row.locale, now)
                tx.audit.record(realm=self.settings.realm, occurred_at=now,
                                event_type="bsre.invitation.sent", actor=officer.user_id,
                                details={"registration_id": row.id, "resend": False})
        except StorageError as exc:
            log.warning("bsre invitation: %s", type(exc).__name__)
            return TemporaryProblem()
        log.info("bsre invitation %s sent", row.id)
        return Invited(row.id)

    def resend(self, officer: Officer, registration_id: int
               ) -> Resent | NotExpired | TemporaryProblem | None:
        """None: no such registration in the officer's scope."""
        now = self._clock()
        token = new_token()
        expires_at = now + self.settings.link_lifetime
        try:
            with self._store.transaction() as tx:
                row = self._visible(tx, officer, registration_id)
                if row is None:
                    return None
                if not tx.registrations.renew_link(registration_id,
                                                   token_hash=token_hash(token), now=now,
                                                   expires_at=expires_at):
                    return NotExpired()
                self._queue_link(tx, row.id, token, row.data["invited"], row.scope or "",
                                 row.locale, now)
                tx.audit.record(realm=self.settings.realm, occurred_at=now,
                                event_type="bsre.invitation.sent", actor=officer.user_id,
                                details={"registration_id": row.id, "resend": True})
        except StorageError:
            return TemporaryProblem()
        return Resent(expires_at)

    def page(self, officer: Officer, state: LinkState | None, page: int,
             query: str = "") -> Page:
        """``query``: an exact NIK or email (blind index), or words of the name."""
        now = self._clock()
        statuses, expired = _STATUSES[state] if state else (ALL_STATUSES, None)
        page = max(1, page)
        lookup = _lookup(query)
        words = name_words(query) if lookup is None else []
        if query.strip() and lookup is None and not words:
            return Page([], 0, 1, 1)
        with self._store.transaction() as tx:
            if words:
                rows, scanned = tx.registrations.in_scope(
                    realm=self.settings.realm, scope=officer.instansi, statuses=statuses,
                    expired=expired, now=now, offset=0, limit=NAME_SEARCH_ROWS)
                found = [s for s in (self._summary(row, now) for row in rows)
                         if name_matches(s.name, words)]
                start = (page - 1) * PAGE_SIZE
                return Page(found[start:start + PAGE_SIZE], len(found), page,
                            max(1, -(-len(found) // PAGE_SIZE)),
                            searched_only=NAME_SEARCH_ROWS if scanned > NAME_SEARCH_ROWS else 0)
            rows, total = tx.registrations.in_scope(
                realm=self.settings.realm, scope=officer.instansi, statuses=statuses,
                expired=expired, now=now, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                lookup=lookup)
            items = [self._summary(row, now) for row in rows]
        return Page(items, total, page, max(1, -(-total // PAGE_SIZE)))

    def summary(self, officer: Officer, registration_id: int) -> Summary | None:
        with self._store.transaction() as tx:
            row = self._visible(tx, officer, registration_id)
            return None if row is None else self._summary(row, self._clock())

    def _visible(self, tx: Transaction, officer: Officer,
                 registration_id: int) -> RegistrationRecord | None:
        row = tx.registrations.get(registration_id)
        if row is None or row.realm != self.settings.realm or \
                row.registration_type != INVITED or not officer.may_see(row.scope):
            return None
        return row

    @staticmethod
    def _summary(row: RegistrationRecord, now: datetime) -> Summary:
        data: dict[str, Any] = row.data
        name = data.get("personal", data.get("invited", {})).get("name") or data.get("name", "")
        return Summary(row.id, name, data.get("email", ""), row.scope or "",
                       link_state(row, now), row.created_at, row.expires_at,
                       row.keycloak_user_id)

    def _queue_link(self, tx: Transaction, registration_id: int, token: str,
                    invited: Mapping[str, str], instansi: str, locale: str,
                    now: datetime, *, typed_by_anyone: bool = False) -> None:
        """``typed_by_anyone``: self-registration's address, which whoever held a NIP and NIK
        pair typed -- its mail names neither the person nor the instansi BKN returned, and
        says nobody from the instansi registered them."""
        payload = {"realm": self.settings.realm, "to": invited["email"],
                   "url": self.settings.activation_url(token), "locale": locale,
                   "expires_at": (now + self.settings.link_lifetime).isoformat()}
        if typed_by_anyone:
            payload["self_registration"] = True
        else:
            payload.update(name=invited["name"], instansi=instansi)
        tx.outbox.enqueue(
            kind=OUTBOX_ACTIVATION_LINK, now=now,
            idempotency_key=f"bsre_activation_link:{registration_id}:{now.isoformat()}",
            payload=payload)
