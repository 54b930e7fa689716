"""The SMTP side: aiosmtpd's threaded Controller feeding a MessageStore."""

from __future__ import annotations

from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from gerbang_ops.mailsink.store import MessageStore


class StoreHandler:
    """aiosmtpd handler: every accepted mail goes to the store, whatever its recipients."""

    def __init__(self, store: MessageStore) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        self.store.add(content, envelope.mail_from or "", list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _accept_any(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
                ) -> AuthResult:
    return AuthResult(success=True)


class SinkController(Controller):
    """A Controller that may bind port 0.

    aiosmtpd's start() connects to ``self.port`` to wake the server up, which fails for port 0;
    we read the port the OS chose from the listening socket first.
    """

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None and self.server.sockets:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def make_controller(store: MessageStore, host: str, port: int, *, accept_any_auth: bool = False
                    ) -> SinkController:
    options: dict[str, Any] = {}
    if accept_any_auth:
        # Staging realms may be configured with SMTP credentials; the sink takes any of them
        # over plain text, since it has no TLS and nothing to protect.
        options.update(authenticator=_accept_any, auth_require_tls=False)
    return SinkController(StoreHandler(store), hostname=host, port=port, **options)
