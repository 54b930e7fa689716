"""Opaque tokens that stand for a pending registration or request in a page or link.

The token carries 256 random bits and only its SHA-256 is stored, so a database leak does not
hand out the pages behind it, and guessing is hopeless.
"""

from __future__ import annotations

import hashlib
import secrets

MAX_TOKEN_LENGTH = 128


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def plausible(token: object) -> bool:
    """Worth looking up at all (anything else is refused without touching the database)."""
    return isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LENGTH
