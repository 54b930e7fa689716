"""AKSes services over SQLite (the parent conftest) and Keycloak's in-memory twin."""

from __future__ import annotations

import pytest

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers


@pytest.fixture
def fake_keycloak() -> FakeKeycloakUsers:
    return FakeKeycloakUsers()
