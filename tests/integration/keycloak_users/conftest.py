"""The same contract cases against the fake and against the real provisioned Keycloak."""

from __future__ import annotations

import uuid

import pytest

from gerbang_ops.keycloak.server import KeycloakServer
from gerbang_ops.provision.files import RealmSpec
from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.ports.keycloak import KeycloakUsers

REALM = "akses"


@pytest.fixture(scope="session")
def http_users(keycloak: KeycloakServer, provisioned: list[RealmSpec],
               realm_env: dict[str, str]) -> HttpKeycloakUsers:
    return HttpKeycloakUsers(keycloak.url, "gerbang-sidecar", realm_env["SIDECAR_CLIENT_SECRET"],
                             timeout=10)


@pytest.fixture(params=["fake", pytest.param("http", marks=pytest.mark.keycloak)])
def users(request: pytest.FixtureRequest) -> KeycloakUsers:
    if request.param == "fake":
        return FakeKeycloakUsers()
    return request.getfixturevalue("http_users")


@pytest.fixture
def unique() -> str:
    """A fresh name per test, so tests on the shared realm never collide."""
    return f"kc{uuid.uuid4().hex[:10]}"
