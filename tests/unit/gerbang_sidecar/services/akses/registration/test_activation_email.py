"""A5, C2: the activation email, queued with the account and sent by the outbox worker, and
"Kirim Ulang" only 15 minutes after the last one."""

from __future__ import annotations

import threading
from typing import Any

from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.services.akses.registration.results import (
    AccountAlreadyActive,
    Activated,
    RegistrationNotFound,
    Resent,
    ThankYou,
)
from support.akses_registrations import (
    BUDI,
    REALM,
    SITI,
    confirm,
    register,
)


def test_a5_resend_only_after_15_minutes(registration, flaky_keycloak, clock, deliver):
    confirmation, _ = register(registration, SITI)
    deliver()
    clock.advance(minutes=14, seconds=30)
    assert registration.resend(confirmation.token) == TooEarly(30)
    assert len(flaky_keycloak.sent) == 1
    clock.advance(seconds=30)
    resent = registration.resend(confirmation.token)
    assert isinstance(resent, Resent)
    deliver()
    assert len(flaky_keycloak.sent) == 2
    assert registration.resend(confirmation.token) == TooEarly(15 * 60)
    clock.advance(minutes=15)
    assert isinstance(registration.resend(confirmation.token), Resent)


def test_c2_resend_before_activation_or_after_verification(registration, flaky_keycloak, clock):
    confirmation = confirm(registration, BUDI)
    assert registration.resend(confirmation.token) == RegistrationNotFound()
    registration.activate(confirmation.token)
    [user] = flaky_keycloak.in_realm()
    flaky_keycloak.update_user(REALM, user.id, email_verified=True)
    clock.advance(minutes=15)
    assert registration.resend(confirmation.token) == AccountAlreadyActive()


def test_c2_concurrent_resends_send_once(registration, flaky_keycloak, clock, deliver):
    confirmation, _ = register(registration, BUDI)
    clock.advance(minutes=15)
    results: list[Any] = []
    start = threading.Barrier(4)

    def click() -> None:
        start.wait()
        results.append(registration.resend(confirmation.token))

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sum(isinstance(r, Resent) for r in results) == 1
    deliver()
    assert len(flaky_keycloak.sent) == 2


def test_x5_keycloak_down_at_sending_delays_the_email_and_keeps_the_account(
        registration, flaky_keycloak, clock, deliver):
    confirmation = confirm(registration, SITI)
    flaky_keycloak.failing = {"send_actions_email"}
    activated = registration.activate(confirmation.token)
    assert isinstance(activated, Activated)  # the account does not wait for the email
    assert deliver().retried == 1 and flaky_keycloak.sent == []
    assert len(flaky_keycloak.in_realm()) == 1
    thanks = registration.thank_you(confirmation.token)
    assert isinstance(thanks, ThankYou)
    flaky_keycloak.failing = set()
    clock.advance(minutes=1)  # the worker's backoff after a first failure: 30 s
    assert deliver().sent == 1 and len(flaky_keycloak.sent) == 1
    # Kirim Ulang still counts from the first queuing (C2), whatever the retries did.
    assert isinstance(registration.resend(confirmation.token), TooEarly)


def test_a5_email_to_a_user_gone_from_keycloak_is_not_retried(registration, flaky_keycloak,
                                                              deliver):
    _, activated = register(registration, BUDI)
    flaky_keycloak.delete_user(REALM, activated.keycloak_user_id)
    assert deliver().dead == 1
