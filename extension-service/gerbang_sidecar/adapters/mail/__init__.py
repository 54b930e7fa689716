"""The mail port's implementations: SMTP, an in-memory twin for tests, and a null mailer."""

from __future__ import annotations

import hashlib
import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, getaddresses, make_msgid

from gerbang_sidecar.ports.mail import Mail, MailRejected

log = logging.getLogger(__name__)


class SmtpMailer:
    """SMTP, with STARTTLS and login when the relay wants them (a production relay does)."""

    def __init__(self, host: str, port: int, mail_from: str, *, timeout: float = 10.0,
                 starttls: bool = False, user: str = "", password: str = "",
                 tls_context: ssl.SSLContext | None = None) -> None:
        self._host = host
        self._port = port
        self._from = mail_from
        self._timeout = timeout
        self._starttls = starttls
        self._user = user
        self._password = password
        # None: the system's trusted CAs and hostname checks (tests pass their own CA).
        self._tls_context = tls_context

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = formataddr((mail.sender_name, self._from)) if mail.sender_name \
            else self._from
        message["To"] = _one_recipient(mail.to)
        message["Subject"] = mail.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = self._message_id(mail.redelivery_key)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to us
        message.set_content(mail.text)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls(context=self._tls_context or ssl.create_default_context())
                if self._user:
                    smtp.login(self._user, self._password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailRejected("recipient refused") from exc
        except smtplib.SMTPAuthenticationError:
            raise  # our configuration, fixable: keep retrying rather than drop the mail
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:  # a 5xx answer will not change on a retry
                raise MailRejected(f"refused with {exc.smtp_code}") from exc
            raise
        # Other SMTP and socket errors propagate: the outbox retries them with backoff.
        log.info("mail sent via smtp")

    def _message_id(self, key: str | None) -> str:
        """A valid msg-id (RFC 5322) on the sender's domain; from a redelivery key, the same
        one each time -- hashed, because the outbox's keys hold ':' and account ids."""
        domain = self._from.rpartition("@")[2] or "gerbang.local"
        if key is None:
            return make_msgid(domain=domain)
        return f"<{redelivery_id(key)}@{domain}>"


def redelivery_id(key: str) -> str:
    """The Message-ID's left part for an outbox key: the same for every delivery of it."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _one_recipient(to: str) -> str:
    """Exactly one address, or MailRejected: "a@x.id, b@y.id" would reach both, and a line
    break would be retried as if the relay were down. The forms never let either through."""
    found = getaddresses([to])
    if "\r" in to or "\n" in to or len(found) != 1 or found[0][1] != to.strip():
        raise MailRejected("not exactly one recipient address")
    return found[0][1]


@dataclass
class FakeMailer:
    """Keeps mails in memory for unit tests (``MAIL_BACKEND=memory``)."""

    sent: list[Mail] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, mail: Mail) -> None:
        with self._lock:
            self.sent.append(mail)

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.sent if m.to.lower() == address.lower()]


class NullMailer:
    """Drops every mail (``MAIL_BACKEND=null``): for a sidecar that must not send at all."""

    def send(self, mail: Mail) -> None:
        log.info("mail dropped (null mailer)")
