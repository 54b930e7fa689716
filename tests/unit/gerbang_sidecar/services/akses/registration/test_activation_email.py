"""A5, C2, X1: the activation email, queued with the account and sent by the outbox worker, and
"Kirim Ulang" only 15 minutes after the last one -- the same answers for a declined
registration, and no question to Keycloak on the page's request."""

from __future__ import annotations

import threading
from typing import Any

from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.services.akses.registration.results import (
    RegistrationNotFound,
    Resent,
)
from support.akses_registrations import (
    BUDI,
    REALM,
    SITI,
    confirm,
    register,
)


def test_a5_resend_only_after_15_minutes(registration, flaky_keycloak, clock, deliver):
    confirmation = register(registration, SITI, deliver)
    clock.advance(minutes=14, seconds=30)
    assert registration.resend(confirmation.token) == TooEarly(30)
    assert len(flaky_keycloak.sent) == 1
    clock.advance(seconds=30)
    flaky_keycloak.calls.clear()
    resent = registration.resend(confirmation.token)
    assert isinstance(resent, Resent)
    assert flaky_keycloak.calls == []  # the worker asks Keycloak, not the page
    deliver()
    assert len(flaky_keycloak.sent) == 2
    assert registration.resend(confirmation.token) == TooEarly(15 * 60)
    clock.advance(minutes=15)
    assert isinstance(registration.resend(confirmation.token), Resent)


def test_c2_resend_before_activation_is_not_found(registration):
    confirmation = confirm(registration, BUDI)
    assert registration.resend(confirmation.token) == RegistrationNotFound()


def test_c2_resend_after_verification_answers_the_same_and_sends_nothing(
        registration, flaky_keycloak, clock, deliver):
    confirmation = register(registration, BUDI, deliver)
    [user] = flaky_keycloak.in_realm()
    flaky_keycloak.update_user(REALM, user.id, email_verified=True)
    clock.advance(minutes=15)
    assert isinstance(registration.resend(confirmation.token), Resent)
    deliver()
    assert len(flaky_keycloak.sent) == 1


def test_x1_resend_of_a_declined_registration_answers_like_any_other(
        registration, flaky_keycloak, clock, deliver):
    register(registration, SITI, deliver)
    declined = register(registration, {**BUDI, "email": "siti.rahmawati@example.com"},
                        deliver)
    assert registration.resend(declined.token) == TooEarly(15 * 60)
    clock.advance(minutes=15)
    assert isinstance(registration.resend(declined.token), Resent)
    assert registration.resend(declined.token) == TooEarly(15 * 60)
    deliver()
    assert len(flaky_keycloak.sent) == 1  # Siti's own activation email only


def test_c2_concurrent_resends_send_once(registration, flaky_keycloak, clock, deliver):
    confirmation = register(registration, BUDI, deliver)
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


def test_a5_email_to_a_user_gone_from_keycloak_is_not_sent(registration, flaky_keycloak,
                                                           clock, deliver):
    confirmation = register(registration, BUDI, deliver)
    [user] = flaky_keycloak.in_realm()
    flaky_keycloak.delete_user(REALM, user.id)
    clock.advance(minutes=15)
    registration.resend(confirmation.token)
    report = deliver()
    assert report.dead == 0 and len(flaky_keycloak.sent) == 1
