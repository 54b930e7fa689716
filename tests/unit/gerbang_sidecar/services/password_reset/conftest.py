"""Forgot password over SQLite, Keycloak's twin counting every call, and fake senders."""

from __future__ import annotations

import pytest

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.services.identity_index import identity_index
from gerbang_sidecar.services.password_reset import PasswordReset
from gerbang_sidecar.services.password_reset.context import PasswordResetSettings
from support.clock import FakeClock
from support.keycloak_fakes import CountingKeycloak
from support.seed_people import SITI_NIK, SITI_PHONE, SITI_SID


@pytest.fixture
def fake_keycloak() -> FakeKeycloakUsers:
    return FakeKeycloakUsers()

@pytest.fixture
def counting_keycloak(fake_keycloak: FakeKeycloakUsers) -> CountingKeycloak:
    return CountingKeycloak(fake_keycloak)


@pytest.fixture
def siti(fake_keycloak: FakeKeycloakUsers) -> str:
    return fake_keycloak.create_user("akses", NewUser(
        username="siti@example.com", email="siti@example.com", first_name="Siti",
        email_verified=True,
        attributes={"nik": SITI_NIK, "sid": SITI_SID, "phoneNumber": SITI_PHONE,
                    "phoneNumberVerified": "false"}))


@pytest.fixture
def reset(storage: Storage, counting_keycloak: CountingKeycloak,
          clock: FakeClock) -> PasswordReset:
    portals = [PasswordResetSettings(public_url="https://sidecar.test"),
               PasswordResetSettings(public_url="https://sidecar.test", realm="oss",
                                     client_id="oss-portal", portal_path="oss",
                                     landing="home", lookups=("username",))]
    index = identity_index(storage, counting_keycloak, clock,  # type: ignore[arg-type]
                           [p.realm for p in portals])
    return PasswordReset(storage, counting_keycloak, clock,  # type: ignore[arg-type]
                         portals, "unit-test-secret", index)
