"""Both sides together: one object to start in a test or from the command line."""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

from gerbang_ops.mailsink.smtp import SinkController, make_controller
from gerbang_ops.mailsink.store import MessageStore
from gerbang_ops.mailsink.web import MailHTTPServer

_ANY_ADDRESS = ("", "0.0.0.0")  # noqa: S104 (recognising it, not binding it)


class MailSink:
    """An SMTP sink and its mail page; ports 0 pick free ones (read them back after start)."""

    def __init__(self, host: str = "127.0.0.1", smtp_port: int = 0, http_port: int = 0, *,
                 folder: Path | None = None, max_messages: int = 1000,
                 accept_any_auth: bool = False) -> None:
        self.host = host
        self.store = MessageStore(folder, max_messages)
        self._requested = (smtp_port, http_port)
        self._accept_any_auth = accept_any_auth
        self._smtp: SinkController | None = None
        self._http: MailHTTPServer | None = None
        self._http_thread: threading.Thread | None = None

    def start(self) -> MailSink:
        self.store.load()
        smtp_port, http_port = self._requested
        self._http = MailHTTPServer((self.host, http_port), self.store)
        try:
            self._smtp = make_controller(self.store, self.host, smtp_port,
                                         accept_any_auth=self._accept_any_auth)
            self._smtp.start()
        except BaseException:
            self._http.server_close()
            self._http = None
            raise
        # A short poll interval keeps stop() fast; tests start and stop a sink per test.
        self._http_thread = threading.Thread(target=self._http.serve_forever, args=(0.05,),
                                             name="mailsink-http", daemon=True)
        self._http_thread.start()
        return self

    def stop(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._http_thread is not None:
            self._http_thread.join()
            self._http_thread = None

    def pause_smtp(self) -> None:
        """Stop accepting mail (a relay outage); the page keeps answering."""
        if self._smtp is not None:
            self._requested = (int(self._smtp.port), self._requested[1])
            self._smtp.stop()
            self._smtp = None

    def resume_smtp(self) -> None:
        """Accept mail again on the same port."""
        if self._smtp is None:
            self._smtp = make_controller(self.store, self.host, self._requested[0],
                                         accept_any_auth=self._accept_any_auth)
            self._smtp.start()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def smtp_host(self) -> str:
        """Where a client on this machine reaches the SMTP side."""
        return "127.0.0.1" if self.host in _ANY_ADDRESS else self.host

    @property
    def smtp_port(self) -> int:
        if self._smtp is None:
            raise RuntimeError("mail sink not started")
        return int(self._smtp.port)

    @property
    def http_port(self) -> int:
        if self._http is None:
            raise RuntimeError("mail sink not started")
        return int(self._http.server_address[1])

    @property
    def http_url(self) -> str:
        return f"http://{self.smtp_host}:{self.http_port}"
