"""The servers one benchmark run needs, wired as tests/conftest.py wires the suite's.

One Keycloak in dev mode with its own temporary data folder and free ports, a mail sink for
the emails Keycloak sends, the realm files' placeholders filled with fresh secrets, and a
loopback HTTP server for the sidecar (see ``SidecarServer``).
"""

from __future__ import annotations

import secrets
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from gerbang_ops.keycloak.server import KeycloakServer
from gerbang_ops.mailsink import MailSink
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_sidecar.portals import portal_clients

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SidecarServer:
    """A threaded werkzeug server on a free loopback port, listening from the start.

    Keycloak and the realm files need the sidecar's URL (``SIDECAR_PUBLIC_URL``: redirect URIs
    of the portal clients, the action emails' links) before the sidecar app can be built, so
    the port is bound first -- no other process can take it meanwhile -- and the app is put
    behind it later with ``serving``. Until then every request answers 503.
    """

    def __init__(self) -> None:
        self._app: WsgiApp | None = None
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._dispatch,
                                                   threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # A short poll: stopping the server waits for the loop to look again.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="bench-sidecar", daemon=True)
        self._thread.start()

    def _dispatch(self, environ: dict[str, Any],
                  start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = self._app
        if app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no sidecar app is served yet\n"]
        return app(environ, start_response)

    @contextmanager
    def serving(self, app: WsgiApp) -> Iterator[str]:
        """Serve ``app`` at ``url`` inside the block."""
        self._app = app
        try:
            yield self.url
        finally:
            self._app = None

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@dataclass(frozen=True)
class Stack:
    keycloak: KeycloakServer
    mail_sink: MailSink
    sidecar: SidecarServer
    realm_env: dict[str, str]
    work_dir: Path

    @property
    def sidecar_url(self) -> str:
        """Where the sidecar's pages are served; the realms' SIDECAR_PUBLIC_URL."""
        return self.sidecar.url

    def admin_api(self) -> KeycloakApi:
        """A fresh admin connection: its request and write counters start at zero."""
        return KeycloakApi(self.keycloak.url, self.keycloak.admin_user,
                           self.keycloak.admin_password)


def realm_env(mail_sink: MailSink, sidecar_url: str) -> dict[str, str]:
    """Values for the realm files' placeholders, as DevOps would export them."""
    def secret() -> str:
        return secrets.token_urlsafe(24)

    return {
        "SMTP_HOST": mail_sink.smtp_host, "SMTP_PORT": str(mail_sink.smtp_port),
        "SMTP_FROM": "no-reply@gerbang.test", "SIDECAR_PUBLIC_URL": sidecar_url,
        "SIDECAR_CLIENT_SECRET": secret(),
        **{client.secret_variable: secret() for client in portal_clients()},
    }


@contextmanager
def running_stack(log: Callable[[str], None] = print) -> Iterator[Stack]:
    """Start everything; on exit stop Keycloak and the sidecar's server and delete Keycloak's
    data folder, whatever happened."""
    with ExitStack() as stack:
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gerbang-bench-")))
        sink = stack.enter_context(MailSink())
        sidecar = SidecarServer()
        stack.callback(sidecar.stop)
        sidecar_url = sidecar.url
        keycloak = KeycloakServer(data_dir=work_dir / "keycloak",
                                  admin_password=secrets.token_urlsafe(16),
                                  environment={"SIDECAR_PUBLIC_URL": sidecar_url})
        log(f"starting Keycloak (data in {keycloak.data_dir}) ...")
        stack.callback(keycloak.stop)
        keycloak.start()
        log(f"Keycloak ready at {keycloak.url}")
        yield Stack(keycloak=keycloak, mail_sink=sink, sidecar=sidecar,
                    realm_env=realm_env(sink, sidecar_url), work_dir=work_dir)
