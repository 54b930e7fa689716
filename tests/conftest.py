"""Session-wide real servers: one Keycloak (own data folder, free ports) provisioned once."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from hypothesis import settings

from gerbang_ops.keycloak.server import KeycloakServer
from gerbang_ops.mailsink import MailSink, MailSinkClient
from gerbang_ops.paths import REALM_CONFIG, THEMES
from gerbang_ops.provision.cli import load_and_check, provision
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi
from support.stack import SIDECAR_URL

# CI must be reproducible: the same examples on every run; locally Hypothesis explores.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(scope="session")
def keycloak(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeycloakServer]:
    server = KeycloakServer(data_dir=tmp_path_factory.mktemp("keycloak"),
                            admin_password=secrets.token_urlsafe(16),
                            # The themes build their "Daftar" links from it.
                            environment={"SIDECAR_PUBLIC_URL": SIDECAR_URL})
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
def realm_env(mail_sink: MailSink) -> dict[str, str]:
    """Values for the realm files' placeholders, as DevOps would export them."""
    secret = lambda: secrets.token_urlsafe(24)  # noqa: E731
    return {
        "SMTP_HOST": mail_sink.smtp_host, "SMTP_PORT": str(mail_sink.smtp_port),
        "SMTP_FROM": "no-reply@gerbang.test", "SIDECAR_PUBLIC_URL": SIDECAR_URL,
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
