"""Keycloak's in-memory twin, made to fail or to count, for service tests."""

from __future__ import annotations

import time
from typing import Any

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.ports.keycloak import KeycloakUnavailable


class FlakyKeycloak(FakeKeycloakUsers):
    """The fake, with single operations that can be made to fail (or to dawdle)."""

    def __init__(self) -> None:
        super().__init__()
        self.failing: set[str] = set()
        self.create_delay = 0.0
        self.calls: list[str] = []

    def _maybe_fail(self, operation: str) -> None:
        self.calls.append(operation)
        if operation in self.failing:
            raise KeycloakUnavailable(f"{operation} failed")

    def create_user(self, realm: str, user: Any) -> str:
        self._maybe_fail("create_user")
        if self.create_delay:
            time.sleep(self.create_delay)
        return super().create_user(realm, user)

    def send_actions_email(self, realm: str, user_id: str, actions: list[str],
                           **options: Any) -> None:
        self._maybe_fail("send_actions_email")
        super().send_actions_email(realm, user_id, actions, **options)

    def find_by_email(self, realm: str, email: str) -> Any:
        self._maybe_fail("find_by_email")
        return super().find_by_email(realm, email)

    def delete_user(self, realm: str, user_id: str) -> None:
        self._maybe_fail("delete_user")
        super().delete_user(realm, user_id)

    def in_realm(self, realm: str = "akses") -> list[Any]:
        return [user for (r, _), user in self.users.items() if r == realm]


class CountingKeycloak:
    """The fake, counting every call: X1 tests assert the request path makes none."""

    def __init__(self, inner: FakeKeycloakUsers) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)
        if not callable(target):
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return target(*args, **kwargs)

        return call
