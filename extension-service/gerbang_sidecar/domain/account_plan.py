"""What an accepted self-registration becomes in Keycloak, whatever the portal, pure.

Each portal turns its registration data into an :class:`AccountPlan` (domain/akses/accounts.py,
domain/oss/accounts.py); services/registrations/accounts.py makes the account from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AccountPlan:
    username: str
    email: str
    name: str
    phone: str  # E.164, as every realm keeps ``phoneNumber``
    group: str  # created in it: its realm roles come with it
    attributes: Mapping[str, str]  # the realm's user-profile attributes
    # Attributes that prove who an account belongs to (NIK, passport, SID): compared to
    # recognise the account an earlier run of this registration made.
    proven: tuple[str, ...]
    # (kind, canonical value) pairs recorded as identity records, checked for duplicates.
    identifiers: tuple[tuple[str, str], ...]
    # What the audit event of the new account adds (type, roles, registry checks), X4.
    audit: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        # Never print identifiers, even in a traceback (X3).
        return f"AccountPlan(group={self.group!r})"

    __str__ = __repr__
