"""Received mails, parsed once on arrival, kept newest first in memory and optionally as .eml files.

Parsing happens at delivery time so the HTTP side only reads finished values, and a mail the
parser chokes on is still kept (with what could be decoded) rather than refused: a sink that
bounces Keycloak's mail would hide the very bug a tester is looking for.
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast

ID_PATTERN = re.compile(r"[0-9a-f]{16}")
# A filename sorts by arrival time so a reload restores the order without trusting mtimes.
_EML_NAME = re.compile(r"(?P<stamp>\d{8}T\d{6}\.\d{6}Z)-(?P<id>[0-9a-f]{16})\.eml")
_STAMP_FORMAT = "%Y%m%dT%H%M%S.%fZ"
_TEXT_URL = re.compile(r"https?://[^\s<>\"']+")
_LINK_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class StoredMessage:
    id: str
    received_at: datetime
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    sender: str
    to: tuple[str, ...]
    subject: str
    headers: tuple[tuple[str, str], ...]
    text: str | None
    html: str | None
    links: tuple[str, ...]
    attachments: tuple[Attachment, ...]

    def recipients(self) -> set[str]:
        """Envelope and header recipients, lower-cased, so Bcc-style deliveries match too."""
        return {a.lower() for a in (*self.rcpt_tos, *self.to) if a}

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            "mail_from": self.mail_from,
            "rcpt_tos": list(self.rcpt_tos),
            "from": self.sender,
            "to": list(self.to),
            "subject": self.subject,
            "size": len(self.raw),
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "headers": [[name, value] for name, value in self.headers],
            "text": self.text,
            "html": self.html,
            "links": list(self.links),
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                for a in self.attachments
            ],
        }


def delivered_bytes(content: bytes, mail_from: str, rcpt_tos: list[str] | tuple[str, ...]) -> bytes:
    """Prepend the envelope as a delivering MTA would, so a saved .eml keeps it."""
    lines = [f"Return-Path: <{mail_from}>"] + [f"Delivered-To: {r}" for r in rcpt_tos]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8") + content


def parse_message(raw: bytes, *, message_id: str, received_at: datetime) -> StoredMessage:
    # policy.default decodes RFC 2047 headers and yields EmailMessage (typeshed says Message).
    msg = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))
    text = _body(msg, "plain")
    html = _body(msg, "html")
    return StoredMessage(
        id=message_id,
        received_at=received_at,
        mail_from=_header(msg, "Return-Path").strip("<>"),
        rcpt_tos=tuple(_header_values(msg, "Delivered-To")),
        raw=raw,
        sender=_header(msg, "From"),
        to=tuple(addr for _, addr in getaddresses(
            _header_values(msg, "To") + _header_values(msg, "Cc")) if addr),
        subject=_header(msg, "Subject"),
        headers=tuple((name, _safe_str(value)) for name, value in _items(msg)),
        text=text,
        html=html,
        links=tuple(_dedupe([*html_links(html or ""), *text_links(text or "")])),
        attachments=tuple(_attachments(msg)),
    )


def text_links(text: str) -> list[str]:
    # Sentence punctuation right after a URL in running text is not part of it.
    return [m.group(0).rstrip(".,;:!?)]") for m in _TEXT_URL.finditer(text)]


def html_links(html: str) -> list[str]:
    # HTMLParser is lenient: broken markup yields the links found so far instead of an error.
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    return collector.links


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("a", "area"):
            return
        for name, value in attrs:
            # Only web links: a javascript: or data: href must never become a link on our page.
            if name == "href" and value and value.strip().lower().startswith(_LINK_SCHEMES):
                self.links.append(value.strip())


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _items(msg: EmailMessage) -> list[tuple[str, Any]]:
    try:
        return list(msg.items())
    except Exception:  # a malformed header: fall back to the undecoded values
        return [(k, v) for k, v in msg.raw_items()]


def _safe_str(value: Any) -> str:
    try:
        return str(value)
    except Exception:
        return repr(value)


def _header(msg: EmailMessage, name: str) -> str:
    values = _header_values(msg, name)
    return values[0] if values else ""


def _header_values(msg: EmailMessage, name: str) -> list[str]:
    try:
        return [str(v) for v in msg.get_all(name, [])]
    except Exception:
        return []


def _body(msg: EmailMessage, subtype: str) -> str | None:
    part = msg.get_body(preferencelist=(subtype,))
    if not isinstance(part, EmailMessage):
        return None
    return _content(part)


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError, KeyError):
        # An unknown or lying charset: show the bytes as UTF-8 rather than nothing.
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else bytes(content).decode("utf-8", "replace")


def _attachments(msg: EmailMessage) -> list[Attachment]:
    found = []
    for part in msg.iter_attachments():
        if not isinstance(part, EmailMessage):
            continue
        payload = part.get_payload(decode=True)
        found.append(Attachment(
            filename=part.get_filename() or "",
            content_type=part.get_content_type(),
            size=len(payload) if isinstance(payload, bytes) else 0,
        ))
    return found


class MessageStore:
    """Thread-safe: the SMTP thread adds while HTTP threads read and delete."""

    def __init__(self, folder: Path | None = None, max_messages: int = 1000) -> None:
        self.folder = folder
        self.max_messages = max_messages
        self._lock = threading.Lock()
        self._messages: dict[str, StoredMessage] = {}  # insertion order = arrival order

    def load(self) -> int:
        """Read the .eml folder back after a restart; returns how many mails were loaded."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        loaded = []
        for path in sorted(self.folder.glob("*.eml")):
            match = _EML_NAME.fullmatch(path.name)
            if not match:
                continue
            received = datetime.strptime(match["stamp"], _STAMP_FORMAT).replace(tzinfo=UTC)
            loaded.append(parse_message(path.read_bytes(), message_id=match["id"],
                                        received_at=received))
        with self._lock:
            for message in loaded:
                self._messages[message.id] = message
            self._trim()
        return len(loaded)

    def add(self, content: bytes, mail_from: str, rcpt_tos: list[str] | tuple[str, ...]
            ) -> StoredMessage:
        raw = delivered_bytes(content, mail_from, rcpt_tos)
        message = parse_message(raw, message_id=uuid.uuid4().hex[:16],
                                received_at=datetime.now(UTC))
        if self.folder is not None:
            self._write(message)
        with self._lock:
            self._messages[message.id] = message
            self._trim()
        return message

    def list(self, to: str | None = None) -> list[StoredMessage]:
        """Newest first; ``to`` matches a whole address, case-insensitively."""
        with self._lock:
            messages = list(reversed(self._messages.values()))
        if to:
            wanted = to.strip().lower()
            messages = [m for m in messages if wanted in m.recipients()]
        return messages

    def get(self, message_id: str) -> StoredMessage | None:
        with self._lock:
            return self._messages.get(message_id)

    def delete(self, message_id: str) -> bool:
        with self._lock:
            message = self._messages.pop(message_id, None)
        if message is not None:
            self._unlink(message)
        return message is not None

    def clear(self) -> int:
        with self._lock:
            removed = list(self._messages.values())
            self._messages.clear()
        for message in removed:
            self._unlink(message)
        return len(removed)

    def _trim(self) -> None:
        # Bounded so a long-lived staging sink cannot grow without limit; oldest go first.
        while len(self._messages) > self.max_messages:
            oldest = next(iter(self._messages))
            self._unlink(self._messages.pop(oldest))

    def _path(self, message: StoredMessage) -> Path:
        assert self.folder is not None
        stamp = message.received_at.strftime(_STAMP_FORMAT)
        return self.folder / f"{stamp}-{message.id}.eml"

    def _write(self, message: StoredMessage) -> None:
        assert self.folder is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(message)
        # Write then rename so a reader of the folder never sees half a mail.
        partial = path.with_suffix(".part")
        partial.write_bytes(message.raw)
        partial.replace(path)

    def _unlink(self, message: StoredMessage) -> None:
        if self.folder is not None:
            self._path(message).unlink(missing_ok=True)
