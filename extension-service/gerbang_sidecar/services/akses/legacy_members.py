"""Legacy AKSes members register an email before Beranda (A6, X2).

Members imported from the previous AKSes version (role ``legacy-member``) log in with their
old User ID. They then prove an email with a 5-digit code (policy ``a6_email``: 15 minutes,
5 attempts, "Kirim ulang OTP" after 15 minutes); on success the email becomes the account's
verified email (a second login name, C3) and the role is removed, which opens Beranda.

The code's subject is the Keycloak user id, and the email recorded is the one the code was
sent to (from the code row), never what the browser posts at verification time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from gerbang_sidecar.domain.masking import mask_email
from gerbang_sidecar.domain.one_time_code import policy_named
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import (
    KeycloakUnavailable,
    KeycloakUsers,
    UserAlreadyExists,
)
from gerbang_sidecar.ports.storage import Store
from gerbang_sidecar.services.one_time_codes import (
    Expired,
    Locked,
    NoActiveCode,
    OneTimeCodeService,
    Sent,
    Verified,
    Wrong,
)
from gerbang_sidecar.services.results import TemporaryProblem

log = logging.getLogger(__name__)

LEGACY_ROLE = "legacy-member"
POLICY = "a6_email"


@dataclass(frozen=True)
class EmailTaken:
    """Another account already uses the address (told only after its code was proven)."""


@dataclass(frozen=True)
class Registered:
    email: str


@dataclass(frozen=True)
class PendingCode:
    """The last code sent, for the page: where it went (masked) and when a resend is allowed."""

    email_masked: str
    resend_available_at: datetime


SendResult = Sent | TooEarly
VerifyResult = Registered | Wrong | Expired | Locked | NoActiveCode | EmailTaken | \
    TemporaryProblem


class LegacyEmailRegistration:
    def __init__(self, codes: OneTimeCodeService, keycloak: KeycloakUsers, store: Store,
                 clock: Clock, realm: str = "akses") -> None:
        self._codes = codes
        self._keycloak = keycloak
        self._store = store
        self._clock = clock
        self.realm = realm

    def send_code(self, user_id: str, email: str, locale: str) -> SendResult:
        """"Kirim OTP" / "Kirim ulang OTP". ``email`` must already be a valid address.

        X1: whether another account uses the address is not looked at here -- any logged-in
        legacy member could otherwise probe addresses. The code goes to the address; only
        someone who reads that mailbox learns, at "Verifikasi", that it is taken.
        """
        result = self._codes.request(policy=POLICY, realm=self.realm, subject=user_id,
                                     destination=email, locale=locale)
        log.info("a6 code request for %s: %s", user_id, type(result).__name__)
        return result

    def resend(self, user_id: str, locale: str) -> SendResult | None:
        """"Kirim ulang OTP": to the address of the last code (the browser need not send it
        again); None when no code was ever sent."""
        last = self._codes.last_code(policy=POLICY, realm=self.realm, subject=user_id)
        if last is None:
            return None
        return self.send_code(user_id, last.destination, locale)

    def pending(self, user_id: str) -> PendingCode | None:
        last = self._codes.last_code(policy=POLICY, realm=self.realm, subject=user_id)
        if last is None or last.status == "verified":
            return None
        return PendingCode(mask_email(last.destination),
                           last.sent_at + policy_named(POLICY).resend_after)

    def verify(self, user_id: str, code: str) -> VerifyResult:
        result = self._codes.verify(policy=POLICY, realm=self.realm, subject=user_id, code=code)
        if not isinstance(result, Verified):
            log.info("a6 code check for %s: %s", user_id, type(result).__name__)
            return result
        try:
            self._keycloak.update_user(self.realm, user_id, email=result.destination,
                                       email_verified=True)
            # Only now, with the email in place: a failure above leaves the member gated.
            self._keycloak.remove_realm_roles(self.realm, user_id, [LEGACY_ROLE])
        except UserAlreadyExists:
            return EmailTaken()
        except KeycloakUnavailable:
            # Rule 3: the proven code is not lost to an outage -- the member sends it again
            # (both calls repeat harmlessly), rather than waiting 15 minutes for a new one.
            self._codes.give_back(result.code_id)
            log.warning("a6 email of %s not recorded: keycloak unavailable", user_id)
            return TemporaryProblem()
        with self._store.transaction() as tx:
            tx.audit.record(realm=self.realm, event_type="a6_email_registered",
                            occurred_at=self._clock(), actor=user_id, subject_id=user_id,
                            details={"code_id": result.code_id})
        log.info("a6 email registered for %s", user_id)
        return Registered(result.destination)
