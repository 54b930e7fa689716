"""The mail port's implementations: SMTP, an in-memory twin for tests, and a null mailer."""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from gerbang_sidecar.ports.mail import Mail, MailRejected

log = logging.getLogger(__name__)


class SmtpMailer:
    """SMTP, with STARTTLS and login when the relay wants them (a production relay does)."""

    def __init__(self, host: str, port: int, mail_from: str, *, from_name: str = "",
                 timeout: float = 10.0, starttls: bool = False, user: str = "",
                 password: str = "", tls_context: ssl.SSLContext | None = None) -> None:
        self._host = host
        self._port = port
        self._from = mail_from
        self._from_name = from_name
        self._timeout = timeout
        self._starttls = starttls
        self._user = user
        self._password = password
        # None: the system's trusted CAs and hostname checks (tests pass their own CA).
        self._tls_context = tls_context

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"] = formataddr((self._from_name, self._from)) if self._from_name \
            else self._from
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Message-ID"] = mail.message_id or make_msgid(domain="gerbang.local")
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
