"""AKSes registration service against real SQLite (parent conftest), the Keycloak fake and the
in-memory registry twins loaded from the demo seed (docs/registries.md)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gerbang_sidecar.adapters.mail import FakeMailer
from gerbang_sidecar.adapters.registries.fakes import FakeRegistries, build_fake_registries
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.services.akses.registration import AksesRegistration
from gerbang_sidecar.services.akses.registration.activation import OUTBOX_MAKE_ACCOUNT
from gerbang_sidecar.services.akses.registration.activation_email import OUTBOX_ACTIVATION_EMAIL
from gerbang_sidecar.services.akses.registration.context import RegistrationSettings
from gerbang_sidecar.services.identity_index import identity_index
from gerbang_sidecar.services.notifications import Notifications
from gerbang_sidecar.services.outbox_worker import OutboxWorker, RunReport
from gerbang_sidecar.services.registrations.accounts import OUTBOX_REGISTRATION_ATTEMPT
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
def mailer() -> FakeMailer:
    return FakeMailer()


@pytest.fixture
def registration(storage: Storage, flaky_keycloak: FlakyKeycloak,
                 fake_registries: FakeRegistries, clock: FakeClock) -> AksesRegistration:
    settings = RegistrationSettings(public_url=PUBLIC_URL)
    return AksesRegistration(storage, flaky_keycloak, fake_registries, clock, settings,
                             identity_index(storage, flaky_keycloak, clock, [settings.realm]))


@pytest.fixture
def worker(registration: AksesRegistration, storage: Storage, clock: FakeClock,
           flaky_keycloak: FlakyKeycloak, fake_registries: FakeRegistries,
           mailer: FakeMailer) -> OutboxWorker:
    """The outbox worker with registration's handlers, as wiring.py registers them."""
    worker = OutboxWorker(storage, clock)
    notifications = Notifications(mailer=mailer, gateway=fake_registries.message_gateway,
                                  keycloak=flaky_keycloak, clock=clock)
    worker.register(OUTBOX_MAKE_ACCOUNT, registration.make_account, redeliver_after_crash=True)
    worker.register(OUTBOX_ACTIVATION_EMAIL, registration.send_activation_email)
    worker.register(OUTBOX_REGISTRATION_ATTEMPT, notifications.registration_attempt)
    return worker


@pytest.fixture
def deliver(worker: OutboxWorker) -> Callable[[], RunReport]:
    """Work the outbox until nothing is due: accounts made, mails sent (or retries queued)."""

    def run() -> RunReport:
        total = RunReport()
        for _ in range(10):
            report = worker.run_once()
            total.sent += report.sent
            total.retried += report.retried
            total.dead += report.dead
            if report.handled == 0:
                break
        return total

    return run
