"""What the AKSes registration use cases answer; the pages render each one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from gerbang_sidecar.domain.akses.registration_form import RegistrationType
from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.services.results import TemporaryProblem


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
class FormErrors:
    """Field -> error for every rejected field (X5), and the typed values to refill the form."""

    errors: Mapping[str, IdentifierError]
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AlreadyRegistered:
    """Some identifier of this registration already has an account. Deliberately unspecific
    (X1): it names neither the identifier nor the account (text: ``reg.already_registered``)."""


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
    """The registration became an account; the form can no longer be changed."""

    name: str


@dataclass(frozen=True)
class ActivationInProgress:
    """Another request (the first of a double click) is creating the account right now."""


@dataclass(frozen=True)
class Activated:
    """The account exists and its activation email is on its way (queued with it)."""

    name: str
    keycloak_user_id: str
    resend_available_at: datetime


@dataclass(frozen=True)
class Resent:
    resend_available_at: datetime


@dataclass(frozen=True)
class AccountAlreadyActive:
    """The email was verified already; nothing to resend, the user can log in."""


@dataclass(frozen=True)
class ThankYou:
    name: str
    resend_available_at: datetime


CheckResult = Confirmation | FormErrors | AlreadyRegistered | TemporaryProblem
EditResult = FormData | AlreadyActivated | ActivationInProgress | RegistrationNotFound
ActivateResult = (Activated | ActivationInProgress | AlreadyRegistered | TemporaryProblem
                  | RegistrationNotFound)
ResendResult = Resent | TooEarly | AccountAlreadyActive | TemporaryProblem | RegistrationNotFound
ThankYouResult = ThankYou | ActivationInProgress | RegistrationNotFound
