"""AKSes registration service against real SQLite (parent conftest), the Keycloak fake and the
in-memory registry twins loaded from the demo seed (docs/registries.md)."""

from __future__ import annotations

from typing import Any

import pytest

from gerbang_sidecar.adapters.keycloak import FakeKeycloakUsers
from gerbang_sidecar.adapters.storage import Storage
from gerbang_sidecar.fake_registry import FakeRegistries, build_fake_registries
from gerbang_sidecar.services.akses_registration import (
    AksesRegistrationService,
    AksesRegistrationSettings,
)

PUBLIC_URL = "https://gerbang.example.id"

class FlakyKeycloak(FakeKeycloakUsers):
    """The fake, with single operations that can be made to fail (or to dawdle)."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: set[str] = set()
        self.create_delay = 0.0
        self.calls: list[str] = []

    def _maybe_fail(self, operation: str) -> None:
        from gerbang_sidecar.adapters.keycloak import KeycloakUnavailable

        self.calls.append(operation)
        if operation in self.failing:
            raise KeycloakUnavailable(f"{operation} failed")

    def create_user(self, realm: str, user: Any) -> str:
        self._maybe_fail("create_user")
        if self.create_delay:
            import time

            time.sleep(self.create_delay)
        return super().create_user(realm, user)

    def assign_realm_roles(self, realm: str, user_id: str, roles: list[str]) -> None:
        self._maybe_fail("assign_realm_roles")
        super().assign_realm_roles(realm, user_id, roles)

    def send_actions_email(self, realm: str, user_id: str, actions: list[str],
                           **options: Any) -> None:
        self._maybe_fail("send_actions_email")
        super().send_actions_email(realm, user_id, actions, **options)

    def delete_user(self, realm: str, user_id: str) -> None:
        self._maybe_fail("delete_user")
        super().delete_user(realm, user_id)

    def in_realm(self, realm: str = "akses") -> list[Any]:
        return [user for (r, _), user in self.users.items() if r == realm]


@pytest.fixture
def keycloak() -> FlakyKeycloak:
    return FlakyKeycloak()


@pytest.fixture
def registries() -> FakeRegistries:
    return build_fake_registries()


@pytest.fixture
def service(storage: Storage, keycloak: FlakyKeycloak, registries: FakeRegistries,
            clock: Any) -> AksesRegistrationService:
    return AksesRegistrationService(storage.session_factory, keycloak, registries, clock,
                                    AksesRegistrationSettings(public_url=PUBLIC_URL))
