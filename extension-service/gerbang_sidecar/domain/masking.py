"""Showing identifiers partly: enough for their owner to recognise, not enough to copy (X3)."""

from __future__ import annotations


def mask(value: str, visible: int = 4) -> str:
    """All but the last ``visible`` characters hidden: on confirmation pages, and in the repr
    of value objects, so a log line or traceback leaks nothing."""
    if len(value) <= visible:
        return "*" * len(value)
    return "*" * (len(value) - visible) + value[-visible:]


def mask_email(email: str) -> str:
    """s****@example.com: enough for the owner to recognise the address."""
    local, _, domain = email.partition("@")
    if not domain:
        return "*" * len(email)
    return f"{local[:1]}{'*' * max(3, len(local) - 1)}@{domain}"


def mask_phone(e164: str) -> str:
    """+62 *** **** 7801: the last four digits only."""
    return f"{e164[:3]} *** **** {e164[-4:]}" if len(e164) > 7 else "****"
