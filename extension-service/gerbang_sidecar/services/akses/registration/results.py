"""What the AKSes registration use cases answer; the pages render each one.

``FormErrors`` and ``TemporaryProblem`` are every portal's (services/results.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from gerbang_sidecar.domain.akses.registration_form import RegistrationType
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page shows after "Selanjutnya" (A5); ``token`` names it."""

    token: str
    type: RegistrationType
    name: str
    email: str
    phone: str  # for display: national format for Indonesian numbers, else international
    nik_masked: str | None
    passport_masked: str | None
    sid: str | None  # found at KSEI (A3) or typed (A4); None for a Registered User
    roles: tuple[str, ...]

    @property
    def is_investor(self) -> bool:
        return self.sid is not None



@dataclass(frozen=True)
class RegistrationNotFound:
    """Unknown or expired token, or a step that does not fit the registration's state."""


@dataclass(frozen=True)
class FormData:
    """"Kembali": the form as the user typed it, every field kept (A5)."""

    type: RegistrationType
    fields: Mapping[str, str]


@dataclass(frozen=True)
class AlreadyActivated:
    """"Aktivasi" was accepted; the form can no longer be changed."""

    name: str


@dataclass(frozen=True)
class ActivationAccepted:
    """"Aktivasi" is accepted: the outbox worker makes the account and queues its email, or
    -- when an identifier already has an account -- makes nothing and tells that account's
    owner. The page is the same either way (X1)."""

    name: str
    resend_available_at: datetime


@dataclass(frozen=True)
class Resent:
    resend_available_at: datetime


@dataclass(frozen=True)
class ThankYou:
    name: str
    resend_available_at: datetime


CheckResult = Confirmation | FormErrors | TemporaryProblem
EditResult = FormData | AlreadyActivated | RegistrationNotFound
ActivateResult = ActivationAccepted | TemporaryProblem | RegistrationNotFound
ResendResult = Resent | TooEarly | TemporaryProblem | RegistrationNotFound
ThankYouResult = ThankYou | RegistrationNotFound
