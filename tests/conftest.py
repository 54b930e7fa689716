"""Fixtures every suite shares: a migrated SQLite database and settings for a sidecar that
needs no outside system; and the session-wide real servers: one Keycloak (own data folder,
free ports) provisioned once, the mail sink, the fake registries and the sidecar."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import settings
from werkzeug.serving import make_server

from gerbang_ops.keycloak.server import KeycloakServer
from gerbang_ops.local_secrets import throwaway_realm_env
from gerbang_ops.mailsink import MailSink, MailSinkClient
from gerbang_ops.paths import REALM_CONFIG, THEMES
from gerbang_ops.provision.cli import load_and_check, provision
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_sidecar.cli import init_local
from gerbang_sidecar.config import RegistryUrls, Settings, load_settings
from gerbang_sidecar.fake_registry import create_fake_registry_app, running_fake_registry
from gerbang_sidecar.migrations import upgrade
from gerbang_sidecar.portals import portal_clients
from support.restartable_sidecar import RestartableSidecar
from support.sockets import listening_socket, url_of

# Hypothesis: `make test` draws Hypothesis's default 100 examples per property (CI the same
# ones every run, locally new ones); `make fuzz` draws many more (HYPOTHESIS_PROFILE=fuzz).
# No deadline: a busy machine must not fail a correct rule.
settings.register_profile("dev", deadline=None)
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("fuzz", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI") else "dev"))


# --- a sidecar database and settings that need no outside system --------------------------

_TEMPLATE = "template.sqlite3"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("database") / _TEMPLATE
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(migrated_template: Path, tmp_path: Path) -> str:
    """A fresh database at the migrations' head, for this test only."""
    path = tmp_path / "gerbang.sqlite3"
    shutil.copyfile(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def make_settings(sqlite_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Settings of a sidecar with its own database and keys and in-memory twins of every
    outside system; keyword arguments override."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "instance_path": tmp_path / "instance", "database_url": sqlite_url,
            "secret_key": secrets.token_urlsafe(32), "pii_key": secrets.token_urlsafe(32),
            "blind_index_key": secrets.token_urlsafe(32), "ca_key": secrets.token_urlsafe(32),
            "keycloak_backend": "fake",
            "registry_backend": "fake", "mail_backend": "memory", **overrides}
        return load_settings({}, **values)

    return make


# --- the session's real servers ---------------------------------------------------------------

@pytest.fixture(scope="session")
def sidecar_socket() -> Iterator[socket.socket]:
    """The sidecar's listening socket, bound now so no other server can take the port before
    the sidecar starts (the realms' redirect URIs are built from it long before)."""
    with listening_socket() as sock:
        yield sock


@pytest.fixture(scope="session")
def sidecar_url(sidecar_socket: socket.socket) -> str:
    """Where the session's sidecar listens (and what the realms' redirect URIs allow)."""
    return url_of(sidecar_socket)


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
    return throwaway_realm_env(mail_sink.smtp_host, mail_sink.smtp_port, sidecar_url)


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
def sidecar(tmp_path_factory: pytest.TempPathFactory, keycloak: KeycloakServer,
            provisioned: list[RealmSpec], realm_env: dict[str, str], mail_sink: MailSink,
            fake_registry_url: str, sidecar_url: str) -> RestartableSidecar:
    """The sidecar wired to the session's real Keycloak, fake registries and mail sink; a
    test may restart it (R9)."""
    instance = tmp_path_factory.mktemp("sidecar")
    init_local(instance)
    return RestartableSidecar({
        "instance_path": instance,
        "public_url": sidecar_url,
        "keycloak_url": keycloak.url,
        "keycloak_client_secret": realm_env["SIDECAR_CLIENT_SECRET"],
        "portal_client_secrets": {client.client_id: realm_env[client.secret_variable]
                                  for client in portal_clients()},
        "registries": RegistryUrls(**{
            name: f"{fake_registry_url}/{path}" for name, path in (
                ("dukcapil", "dukcapil"), ("oss", "oss"), ("ksei", "ksei"), ("bkn", "bkn"),
                ("sipp", "sipp"), ("message_gateway", "gateway"))}),
        "registry_timeout_seconds": 1.0,
        "smtp_host": mail_sink.smtp_host,
        "smtp_port": mail_sink.smtp_port,
        # Browser tests submit many forms from one address; limits have their own unit tests.
        "rate_limits_enabled": False,
        # Accounts, mails and SMS leave from a thread of this process; a failed delivery is
        # tried again after a second, so a test need not wait for production's 30.
        "outbox_in_process": True,
        "outbox_retry_seconds": 1.0,
    })


@pytest.fixture(scope="session")
def sidecar_app(sidecar: RestartableSidecar) -> Flask:
    return sidecar.app


@pytest.fixture(scope="session")
def sidecar_server(sidecar: RestartableSidecar, sidecar_url: str,
                   sidecar_socket: socket.socket) -> Iterator[str]:
    """The sidecar served over real HTTP at ``sidecar_url`` for browsers and Keycloak."""
    port = sidecar_socket.getsockname()[1]
    server = make_server("127.0.0.1", port, sidecar, threaded=True,  # type: ignore[arg-type]
                         fd=sidecar_socket.fileno())
    thread = threading.Thread(target=server.serve_forever, name="sidecar", daemon=True)
    thread.start()
    yield sidecar_url
    server.shutdown()
    thread.join(timeout=5)
