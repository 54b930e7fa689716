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


class Roles:
    """Realm roles of a user as an admin sees and sets them, on whichever side ``users`` is
    (the port itself only takes direct roles away)."""

    def __init__(self, users: KeycloakUsers, request: pytest.FixtureRequest) -> None:
        self._users = users
        self._request = request

    def grant(self, user_id: str, names: list[str]) -> None:
        if isinstance(self._users, FakeKeycloakUsers):
            self._users.grant(REALM, user_id, names)
            return
        api = self._request.getfixturevalue("admin_api")
        api.post(f"/{REALM}/users/{user_id}/role-mappings/realm",
                 [api.get(f"/{REALM}/roles/{name}") for name in names])

    def of(self, user_id: str) -> set[str]:
        """Held directly or through groups; everyone's defaults left out."""
        if isinstance(self._users, FakeKeycloakUsers):
            return set(self._users.realm_roles_of(REALM, user_id))
        api = self._request.getfixturevalue("admin_api")
        held = api.get(f"/{REALM}/users/{user_id}/role-mappings/realm/composite")
        return {r["name"] for r in held if not r["name"].startswith("default-roles-")
                and r["name"] not in ("offline_access", "uma_authorization")}


@pytest.fixture
def roles(users: KeycloakUsers, request: pytest.FixtureRequest) -> Roles:
    return Roles(users, request)
