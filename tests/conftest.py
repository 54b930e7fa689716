"""Session-wide real servers: one Keycloak (own data folder, free ports) provisioned once."""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from hypothesis import settings
from werkzeug.serving import make_server

from gerbang_ops.keycloak.server import KeycloakServer
from gerbang_ops.mailsink import MailSink, MailSinkClient
from gerbang_ops.paths import REALM_CONFIG, THEMES
from gerbang_ops.provision.cli import load_and_check, provision
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_sidecar.app import create_app
from gerbang_sidecar.config import RegistryUrls
from gerbang_sidecar.fake_registry import create_fake_registry_app, running_fake_registry

# CI must be reproducible: the same examples on every run; locally Hypothesis explores.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(scope="session")
def sidecar_socket() -> Iterator[socket.socket]:
    """The sidecar's listening socket, bound now so no other server can take the port before
    the sidecar starts (the realms' redirect URIs are built from it long before)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        yield sock


@pytest.fixture(scope="session")
def sidecar_url(sidecar_socket: socket.socket) -> str:
    """Where the session's sidecar listens (and what the realms' redirect URIs allow)."""
    return f"http://127.0.0.1:{sidecar_socket.getsockname()[1]}"


@pytest.fixture(scope="session")
def keycloak(tmp_path_factory: pytest.TempPathFactory, sidecar_url: str,
             ) -> Iterator[KeycloakServer]:
    server = KeycloakServer(data_dir=tmp_path_factory.mktemp("keycloak"),
                            admin_password=secrets.token_urlsafe(16),
                            # The themes build their "Daftar" links from it.
                            environment={"SIDECAR_PUBLIC_URL": sidecar_url})
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[MailSink]:
    with MailSink() as sink:
        yield sink


@pytest.fixture
def mailbox(mail_sink: MailSink) -> MailSinkClient:
    """The sink's client, emptied for this test."""
    client = MailSinkClient(mail_sink.http_url)
    client.clear()
    return client


@pytest.fixture(scope="session")
def realm_env(mail_sink: MailSink, sidecar_url: str) -> dict[str, str]:
    """Values for the realm files' placeholders, as DevOps would export them."""
    secret = lambda: secrets.token_urlsafe(24)  # noqa: E731
    return {
        "SMTP_HOST": mail_sink.smtp_host, "SMTP_PORT": str(mail_sink.smtp_port),
        "SMTP_FROM": "no-reply@gerbang.test", "SIDECAR_PUBLIC_URL": sidecar_url,
        "SIDECAR_CLIENT_SECRET": secret(), "AKSES_PORTAL_CLIENT_SECRET": secret(),
        "EASY_CLIENT_SECRET": secret(), "OSS_PORTAL_CLIENT_SECRET": secret(),
        "BSRE_PORTAL_CLIENT_SECRET": secret(), "INSW_PORTAL_CLIENT_SECRET": secret(),
    }


@pytest.fixture(scope="session")
def admin_api(keycloak: KeycloakServer) -> KeycloakApi:
    return KeycloakApi(keycloak.url, keycloak.admin_user, keycloak.admin_password)


@pytest.fixture(scope="session")
def provisioned(keycloak: KeycloakServer, admin_api: KeycloakApi,
                realm_env: dict[str, str], monkeypatch_session: pytest.MonkeyPatch,
                ) -> list[RealmSpec]:
    for name, value in realm_env.items():
        monkeypatch_session.setenv(name, value)
    specs = load_and_check(REALM_CONFIG, THEMES, None)
    provision(admin_api, specs, apply=True, out=lambda _line: None)
    return specs


@pytest.fixture(scope="session")
def monkeypatch_session() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="session")
def fake_registry_url() -> Iterator[str]:
    """The seeded fake registries over real HTTP; the 'hang' id stalls for 2 s only."""
    with running_fake_registry(create_fake_registry_app(hang_seconds=2.0)) as url:
        yield url


@pytest.fixture(scope="session")
def sidecar_app(tmp_path_factory: pytest.TempPathFactory, keycloak: KeycloakServer,
                provisioned: list[RealmSpec], realm_env: dict[str, str], mail_sink: MailSink,
                fake_registry_url: str, sidecar_url: str) -> Flask:
    """The sidecar wired to the session's real Keycloak, fake registries and mail sink."""
    return create_app({
        "instance_path": tmp_path_factory.mktemp("sidecar"),
        "public_url": sidecar_url,
        "keycloak_url": keycloak.url,
        "keycloak_client_secret": realm_env["SIDECAR_CLIENT_SECRET"],
        "portal_client_secrets": {
            "akses-portal": realm_env["AKSES_PORTAL_CLIENT_SECRET"],
            "easy": realm_env["EASY_CLIENT_SECRET"],
            "oss-portal": realm_env["OSS_PORTAL_CLIENT_SECRET"],
            "bsre-portal": realm_env["BSRE_PORTAL_CLIENT_SECRET"],
            "insw-portal": realm_env["INSW_PORTAL_CLIENT_SECRET"],
        },
        "registries": RegistryUrls(**{
            name: f"{fake_registry_url}/{path}" for name, path in (
                ("dukcapil", "dukcapil"), ("oss", "oss"), ("ksei", "ksei"), ("bkn", "bkn"),
                ("sipp", "sipp"), ("message_gateway", "gateway"))}),
        "registry_timeout_seconds": 1.0,
        "smtp_host": mail_sink.smtp_host,
        "smtp_port": mail_sink.smtp_port,
        # Browser tests submit many forms from one address; limits have their own unit tests.
        "rate_limits_enabled": False,
    })


@pytest.fixture(scope="session")
def sidecar_server(sidecar_app: Flask, sidecar_url: str,
                   sidecar_socket: socket.socket) -> Iterator[str]:
    """The sidecar served over real HTTP at ``sidecar_url`` for browsers and Keycloak."""
    port = sidecar_socket.getsockname()[1]
    server = make_server("127.0.0.1", port, sidecar_app, threaded=True,
                         fd=sidecar_socket.fileno())
    thread = threading.Thread(target=server.serve_forever, name="sidecar", daemon=True)
    thread.start()
    yield sidecar_url
    server.shutdown()
    thread.join(timeout=5)
