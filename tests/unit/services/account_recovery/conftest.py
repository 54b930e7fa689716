"""Forgot-password and legacy-member services over SQLite, the fake Keycloak and fake senders."""

from __future__ import annotations

from typing import Any

import pytest

from gerbang_sidecar.adapters.keycloak import FakeKeycloakUsers, NewUser
from gerbang_sidecar.adapters.storage import Storage
from gerbang_sidecar.services.password_reset import PasswordResetService, PasswordResetSettings

NIK = "3171015203900001"
SID = "IDD120390482615"
PHONE = "+6281234567801"


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


@pytest.fixture
def fake_keycloak() -> FakeKeycloakUsers:
    return FakeKeycloakUsers()


@pytest.fixture
def keycloak(fake_keycloak: FakeKeycloakUsers) -> CountingKeycloak:
    return CountingKeycloak(fake_keycloak)


@pytest.fixture
def siti(fake_keycloak: FakeKeycloakUsers) -> str:
    return fake_keycloak.create_user("akses", NewUser(
        username="siti@example.com", email="siti@example.com", first_name="Siti",
        email_verified=True,
        attributes={"nik": NIK, "sid": SID, "phoneNumber": PHONE,
                    "phoneNumberVerified": "false"}))


@pytest.fixture
def reset(storage: Storage, keycloak: CountingKeycloak, clock) -> PasswordResetService:
    return PasswordResetService(storage.session_factory, keycloak, clock,  # type: ignore[arg-type]
                                PasswordResetSettings(public_url="https://sidecar.test"),
                                "unit-test-secret")
