"""Outgoing mail of the sidecar's own (one-time codes, notifications).

Keycloak sends its own mails (action links, event notifications) through the realm's SMTP
settings; these are the few the sidecar writes itself. Only the outbox worker sends, never a
web request, so a slow mail server never slows a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Mail:
    to: str  # one address
    subject: str
    text: str
    # The sender's display name: the portal the mail speaks for, as Keycloak's mails name
    # their realm.
    sender_name: str = ""
    # The outbox idempotency key: the same key gives the same Message-ID, so a receiver can
    # spot a redelivery (never shown: the Message-ID is a hash of it).
    redelivery_key: str | None = None


class MailRejected(Exception):
    """The server refused the recipient or the message for good (no point retrying)."""


class Mailer(Protocol):
    def send(self, mail: Mail) -> None:
        """Hand the mail to the server; MailRejected for a permanent refusal, any other
        exception for a temporary one."""
