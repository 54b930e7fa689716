"""Rule 4 (least privilege): each realm's gerbang-sidecar secret is its own."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs

import pytest

from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.adapters.keycloak.realm_secrets import realm_client_secret
from gerbang_sidecar.ports.keycloak import KeycloakError

REALMS = ("akses", "bsre", "insw", "oss")


def test_rule4_every_realm_gets_a_different_secret_that_is_not_the_sidecar_s() -> None:
    secrets = {realm_client_secret("sidecar-secret", realm) for realm in REALMS}
    assert len(secrets) == len(REALMS)
    assert "sidecar-secret" not in secrets
    assert all(len(s) == 43 and s.isascii() for s in secrets)


def test_rule4_the_same_secret_and_realm_give_the_same_value_everywhere() -> None:
    """Provisioning and every sidecar replica derive it apart and must agree."""
    assert realm_client_secret("s", "oss") == realm_client_secret("s", "oss")
    assert realm_client_secret("s", "oss") != realm_client_secret("t", "oss")


def test_rule4_no_realm_secret_comes_from_an_empty_sidecar_secret() -> None:
    """An empty one would give a value anybody can compute."""
    with pytest.raises(ValueError, match="SIDECAR_CLIENT_SECRET"):
        realm_client_secret("", "oss")


class _TokenEndpoint(BaseHTTPRequestHandler):
    """A Keycloak whose realm accepts one client secret, and answers a user search."""

    accepted: ClassVar[str] = ""
    presented: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        secret = form["client_secret"][0]
        type(self).presented.append(secret)
        if secret != type(self).accepted:
            self._answer(401, {"error": "unauthorized_client"})
            return
        self._answer(200, {"access_token": "t", "expires_in": 300, "token_type": "Bearer",
                           "refresh_expires_in": 0})

    def do_GET(self) -> None:
        self._answer(200, [])


@pytest.fixture
def token_endpoint() -> Iterator[str]:
    _TokenEndpoint.presented = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_rule4_a_realm_provisioned_before_per_realm_secrets_still_answers(
        token_endpoint: str) -> None:
    """Sidecars upgraded before the provisioning Job: a realm that refuses its own secret is
    asked with the shared one, and with its own again once provisioning gave it one."""
    own = realm_client_secret("sidecar-secret", "oss")
    users = HttpKeycloakUsers(token_endpoint, "gerbang-sidecar", "sidecar-secret", timeout=5)
    _TokenEndpoint.accepted = "sidecar-secret"
    assert users.find_by_email("oss", "budi@example.test") is None
    assert _TokenEndpoint.presented == [own, "sidecar-secret"]
    _TokenEndpoint.accepted = own  # provision apply ran; the old token is refused
    users._connections.clear()  # as when the token expires
    assert users.find_by_email("oss", "budi@example.test") is None
    assert _TokenEndpoint.presented[2:] == ["sidecar-secret", own]
    _TokenEndpoint.accepted = "neither"
    users._connections.clear()
    with pytest.raises(KeycloakError, match="refused"):
        users.find_by_email("oss", "budi@example.test")
