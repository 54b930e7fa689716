"""B17: the passphrase that protects a subscriber's key -- at least 8 characters with a
lowercase letter, an uppercase letter, a digit and a special character, where ``[ ] ^ \\``
are not allowed. Only the user knows it; it is never stored or logged, and its errors never
carry it."""

from __future__ import annotations

from gerbang_sidecar.domain.identifiers import IdentifierError

MIN_LENGTH = 8
MAX_LENGTH = 128
FORBIDDEN = frozenset("[]^\\")


def check_passphrase(passphrase: str | None, confirmation: str | None = None) -> str:
    """The passphrase, or IdentifierError naming the first rule it breaks."""
    value = passphrase or ""
    if not value:
        raise IdentifierError("passphrase.required")
    if len(value) < MIN_LENGTH:
        raise IdentifierError("passphrase.too_short", min_length=MIN_LENGTH)
    if len(value) > MAX_LENGTH:
        raise IdentifierError("passphrase.too_long", max_length=MAX_LENGTH)
    if any(ch in FORBIDDEN for ch in value):
        raise IdentifierError("passphrase.forbidden_characters")
    if any(ord(ch) < 0x20 or ord(ch) > 0x7E for ch in value):
        # Printable ASCII only: PKCS#12 tools disagree on how to encode anything else.
        raise IdentifierError("passphrase.not_ascii")
    missing = [name for name, test in (("lowercase", str.islower), ("uppercase", str.isupper),
                                       ("digit", str.isdigit),
                                       ("special", lambda c: not c.isalnum()))
               if not any(test(ch) for ch in value)]
    if missing:
        raise IdentifierError(f"passphrase.needs_{missing[0]}")
    if confirmation is not None and confirmation != value:
        raise IdentifierError("passphrase_confirm.mismatch")
    return value
