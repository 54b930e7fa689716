"""What the forgot-password use cases answer; the pages render each one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gerbang_sidecar.domain.throttle import TooEarly


@dataclass(frozen=True)
class Resent:
    pass


@dataclass(frozen=True)
class UnknownRequest:
    pass


@dataclass(frozen=True)
class RequestStatus:
    resend_available_at: datetime


@dataclass(frozen=True)
class LinkValid:
    locale: str


@dataclass(frozen=True)
class LinkInvalid:
    """Unknown, tampered, expired or already used: the page says so in one way."""


@dataclass(frozen=True)
class PasswordChanged:
    pass


@dataclass(frozen=True)
class PasswordRefused:
    reason: str  # Keycloak's policy message key, e.g. invalidPasswordMinLengthMessage


ResendResult = Resent | TooEarly | UnknownRequest
SetPasswordResult = PasswordChanged | PasswordRefused | LinkInvalid
