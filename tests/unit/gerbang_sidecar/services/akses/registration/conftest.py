"""AKSes registration service against real SQLite (parent conftest), the Keycloak fake and the
in-memory registry twins loaded from the demo seed (docs/registries.md)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gerbang_sidecar.adapters.registries.fakes import FakeRegistries, build_fake_registries
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.services.akses.registration import AksesRegistration
from gerbang_sidecar.services.akses.registration.activation_email import OUTBOX_ACTIVATION_EMAIL
from gerbang_sidecar.services.akses.registration.context import RegistrationSettings
from gerbang_sidecar.services.outbox_worker import OutboxWorker, RunReport
from support.clock import FakeClock
from support.keycloak_fakes import FlakyKeycloak

PUBLIC_URL = "https://gerbang.example.id"

@pytest.fixture
def flaky_keycloak() -> FlakyKeycloak:
    return FlakyKeycloak()


@pytest.fixture
def fake_registries() -> FakeRegistries:
    return build_fake_registries()


@pytest.fixture
def registration(storage: Storage, flaky_keycloak: FlakyKeycloak,
                 fake_registries: FakeRegistries, clock: FakeClock) -> AksesRegistration:
    return AksesRegistration(storage, flaky_keycloak, fake_registries, clock,
                             RegistrationSettings(public_url=PUBLIC_URL))


@pytest.fixture
def deliver(registration: AksesRegistration, storage: Storage,
            clock: FakeClock) -> Callable[[], RunReport]:
    """Run the outbox worker once with the activation email's handler: the mail leaves."""
    worker = OutboxWorker(storage, clock)
    worker.register(OUTBOX_ACTIVATION_EMAIL, registration.send_activation_email)
    return worker.run_once
