"""A slow Keycloak must never receive a create-user POST twice (A5: one account per click)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import certifi
import pytest

from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.ports.keycloak import KeycloakUnavailable, NewUser


class _SlowKeycloak(BaseHTTPRequestHandler):
    posts: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path.endswith("/token"):
            body = json.dumps({"access_token": "t", "expires_in": 300, "token_type": "Bearer",
                               "refresh_expires_in": 0}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        type(self).posts.append(self.path)
        time.sleep(1.5)  # longer than the client's read timeout: it may have been processed


@pytest.fixture
def slow_keycloak() -> Iterator[str]:
    _SlowKeycloak.posts = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowKeycloak)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a5_create_user_is_not_resent_after_a_read_timeout(slow_keycloak: str) -> None:
    users = HttpKeycloakUsers(slow_keycloak, "gerbang-sidecar", "secret", timeout=0.5)
    with pytest.raises(KeycloakUnavailable):
        users.create_user("akses", NewUser(username="budi@example.test",
                                           email="budi@example.test", first_name="Budi"))
    time.sleep(0.2)
    assert _SlowKeycloak.posts == ["/admin/realms/akses/users"]


def test_a5_accounts_reach_an_https_keycloak_behind_a_private_ca(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # python-keycloak passes its own ``verify`` on every request, which wins over the
    # session's: a private CA for an https Keycloak must reach that value.
    bundle = certifi.where()  # any real bundle file stands in for the private CA
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)
    users = HttpKeycloakUsers("https://keycloak.internal", "gerbang-sidecar", "secret")
    assert users._connection("akses").verify == bundle
