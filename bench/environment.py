"""The servers one benchmark run needs, wired as tests/conftest.py wires the suite's.

One Keycloak in dev mode with its own temporary data folder and free ports, a mail sink for
the emails Keycloak sends, a throw-away PostgreSQL for the sidecar (as production has), the
realm files' placeholders filled with fresh secrets, and the sidecar's loopback address (see
``SidecarServer``), where the sidecar runs under gunicorn as docker-compose.yml runs it.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml
from werkzeug.serving import BaseWSGIServer, make_server

from gerbang_ops.keycloak.server import KeycloakServer
from gerbang_ops.local_secrets import throwaway_realm_env
from gerbang_ops.mailsink import MailSink, MailSinkClient
from gerbang_ops.paths import REPO_ROOT
from gerbang_ops.postgres import PostgresServer, throwaway_postgres
from gerbang_ops.provision.keycloak_api import KeycloakApi

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SidecarServer:
    """The sidecar's listening socket on a free loopback port, bound from the start.

    Keycloak and the realm files need the sidecar's URL (``SIDECAR_PUBLIC_URL``: redirect URIs
    of the portal clients, the action emails' links) before the sidecar app can be built, so
    the port is bound first -- no other process can take it meanwhile. A threaded werkzeug
    server answers on it (503 until an app is put behind it with ``serving``), or gunicorn
    inherits it (``serving_gunicorn``).
    """

    def __init__(self) -> None:
        self._app: WsgiApp | None = None
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(128)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._start_werkzeug()

    def _start_werkzeug(self) -> None:
        # werkzeug serves a duplicate of the socket and closes only that one when it stops.
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self._dispatch, threaded=True, fd=self._socket.fileno())
        # A short poll: stopping the server waits for the loop to look again.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="bench-sidecar", daemon=True)
        self._thread.start()

    def _stop_werkzeug(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

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

    @contextmanager
    def serving_gunicorn(self, arguments: list[str], env: Mapping[str, str],
                         log_path: Path, ready_timeout: float = 120.0) -> Iterator[str]:
        """gunicorn (``arguments`` without ``--bind``) on this very socket inside the block.

        The placeholder loop stops and gunicorn inherits the listening socket (``fd://``), so
        the address the realms know never changes hands with another process.
        """
        self._stop_werkzeug()
        fd = self._socket.fileno()
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"fd://{fd}", *arguments],
                env=dict(env), pass_fds=(fd,), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            self._wait_until_ready(process, log_path, ready_timeout)
            yield self.url
        finally:
            stop_group(process)
            self._start_werkzeug()

    def _wait_until_ready(self, process: subprocess.Popen[bytes], log_path: Path,
                          timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {log_path}")
            try:
                if requests.get(f"{self.url}/health", timeout=5).status_code in (200, 503):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s; see {log_path}")

    def stop(self) -> None:
        self._stop_werkzeug()
        self._socket.close()


def stop_group(process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM to the process group a server was started in, SIGKILL after ``timeout``."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _compose_command(service: str, compose_file: Path) -> list[str]:
    services = yaml.safe_load(compose_file.read_text(encoding="utf-8"))["services"]
    if service == "sidecar" and service not in services:
        # Scaled out (issue 11): replicas sidecar-1, sidecar-2... share one command line;
        # a benchmark runs one of them.
        service = "sidecar-1"
    return list(services[service]["command"])


def _without(arguments: list[str], option: str) -> list[str]:
    """The arguments less ``option`` and its value."""
    if option not in arguments:
        return arguments
    at = arguments.index(option)
    return arguments[:at] + arguments[at + 2:]


def compose_gunicorn_arguments(compose_file: Path = REPO_ROOT / "docker-compose.yml"
                               ) -> list[str]:
    """The sidecar's gunicorn command line in docker-compose.yml, without its ``--bind``
    (workers, threads, worker class and timeout stay exactly as production has them)."""
    command = _compose_command("sidecar", compose_file)
    if command[0] != "gunicorn":
        raise ValueError("docker-compose.yml's sidecar does not run gunicorn")
    return _without(command[1:], "--bind")


def compose_ocsp_arguments(compose_file: Path = REPO_ROOT / "docker-compose.yml"
                           ) -> list[str]:
    """The OCSP responder's options in docker-compose.yml after ``-m gerbang_sidecar
    serve-ocsp``, without its ``--bind`` (workers and threads stay as production has them)."""
    command = _compose_command("ocsp", compose_file)
    if command[:4] != ["python", "-m", "gerbang_sidecar", "serve-ocsp"]:
        raise ValueError("docker-compose.yml's ocsp does not run gerbang_sidecar serve-ocsp")
    return _without(command[4:], "--bind")


def compose_outbox_arguments(compose_file: Path = REPO_ROOT / "docker-compose.yml"
                             ) -> list[str]:
    """The outbox worker's command line in docker-compose.yml after ``-m gerbang_sidecar``,
    without its ``--heartbeat`` (threads and idle pause stay as production has them)."""
    command = _compose_command("sidecar-outbox", compose_file)
    if command[:3] != ["python", "-m", "gerbang_sidecar"]:
        raise ValueError("docker-compose.yml's sidecar-outbox does not run gerbang_sidecar")
    return _without(command[3:], "--heartbeat")


@dataclass(frozen=True)
class Stack:
    keycloak: KeycloakServer
    mail_sink: MailSink
    sidecar: SidecarServer
    postgres: PostgresServer
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

    def mailbox(self) -> MailSinkClient:
        return MailSinkClient(self.mail_sink.http_url)


def realm_env(mail_sink: MailSink, sidecar_url: str) -> dict[str, str]:
    """Values for the realm files' placeholders, as DevOps would export them."""
    return throwaway_realm_env(mail_sink.smtp_host, mail_sink.smtp_port, sidecar_url)


@contextmanager
def running_stack(log: Callable[[str], None] = print) -> Iterator[Stack]:
    """Start everything; on exit stop Keycloak and the sidecar's server and delete Keycloak's
    data folder, whatever happened."""
    with ExitStack() as stack:
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gerbang-bench-")))
        sink = stack.enter_context(MailSink())
        log("starting a throw-away PostgreSQL for the sidecar ...")
        postgres = stack.enter_context(throwaway_postgres())
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
        yield Stack(keycloak=keycloak, mail_sink=sink, sidecar=sidecar, postgres=postgres,
                    realm_env=realm_env(sink, sidecar_url), work_dir=work_dir)
