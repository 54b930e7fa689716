"""Which accounts a forgot-password identifier may name (A7; OSS: username or email), pure.

A7 accepts one free-text field: a username/email, a NIK, a passport number or a SID. The
shape of the text decides which lookups the worker tries, in order (a username in Keycloak,
the others in the identity index); the first that names an account wins. A value that could
be several kinds (a passport-shaped username) is tried as each.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from typing import Literal

from gerbang_sidecar.domain.identifiers import IdentifierError, parse_nik, parse_sid

LookupKind = Literal["username", "nik", "passport", "sid"]  # as services/password_reset names them
# Usernames of the previous AKSes version and emails; longer input is no identifier of ours.
MAX_IDENTIFIER_LENGTH = 254
_PASSPORT_RE = re.compile(r"[A-Z0-9]{6,9}")
_SEPARATORS = re.compile(r"[\s.-]")


@dataclass(frozen=True)
class Lookup:
    kind: LookupKind
    value: str


def lookups_for(raw: str) -> list[Lookup]:
    """Which searches may find the account the user means, most specific first."""
    text = raw.strip()
    if not text:
        return []
    found: list[Lookup] = []
    with suppress(IdentifierError):
        found.append(Lookup("sid", parse_sid(text).value))
    with suppress(IdentifierError):
        found.append(Lookup("nik", parse_nik(text).value))
    if not found and "@" not in text:
        compact = _SEPARATORS.sub("", text).upper()
        if _PASSPORT_RE.fullmatch(compact):
            found.append(Lookup("passport", compact))
    if not any(ch.isspace() for ch in text):
        # Usernames (old AKSes User IDs may look like anything, even digits) and emails;
        # Keycloak's username search also matches the email (C3).
        found.append(Lookup("username", text.lower()))
    return found
