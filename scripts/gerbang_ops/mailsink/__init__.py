"""A local SMTP sink with a page and a JSON API to read what it received.

Keycloak and the sidecar send their mails here in local runs, tests and staging; see
``python -m gerbang_ops.mailsink --help``.
"""

from gerbang_ops.mailsink.client import MailNotReceived, MailSinkClient
from gerbang_ops.mailsink.server import MailSink
from gerbang_ops.mailsink.store import MessageStore, StoredMessage

__all__ = ["MailNotReceived", "MailSink", "MailSinkClient", "MessageStore", "StoredMessage"]
