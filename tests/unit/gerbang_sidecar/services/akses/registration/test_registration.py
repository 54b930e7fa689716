"""A5: "Kembali" keeps the form, the thank-you page, tokens that lead nowhere."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from gerbang_sidecar.services.akses.registration.results import (
    Activated,
    ActivationInProgress,
    AlreadyActivated,
    FormData,
    RegistrationNotFound,
    ThankYou,
)
from support.akses_registrations import (
    BUDI,
    KENJI,
    SITI,
    confirm,
    register,
)


def test_a5_back_keeps_every_field(registration):
    typed = {**SITI, "name": "  siti   rahmawati ", "email": "Siti.Rahmawati@Example.COM",
             "passport": "not part of this type"}
    confirmation = confirm(registration, typed)
    back = registration.edit(confirmation.token)
    assert back == FormData(
        type=confirmation.type,
        fields={"type": "individu-lokal", "name": "  siti   rahmawati ",
                "nik": "3171015203900001", "phone": "0812-3456-7890",
                "email": "Siti.Rahmawati@Example.COM"})


def test_a5_back_after_activation_is_refused(registration):
    confirmation, _ = register(registration, BUDI)
    assert registration.edit(confirmation.token) == AlreadyActivated(name="Budi Santoso")


def test_a5_thank_you_names_the_user(registration, clock):
    confirmation, _ = register(registration, KENJI)
    assert registration.thank_you(confirmation.token) == ThankYou(
        name="Kenji Watanabe",
        resend_available_at=clock.now + timedelta(minutes=15))


def test_a5_unknown_or_expired_tokens_are_not_found(registration, clock):
    assert registration.edit("nope") == RegistrationNotFound()
    assert registration.activate("x" * 500) == RegistrationNotFound()
    assert registration.thank_you("") == RegistrationNotFound()
    confirmation = confirm(registration, BUDI)
    clock.advance(hours=24, seconds=1)
    assert registration.edit(confirmation.token) == RegistrationNotFound()
    assert registration.activate(confirmation.token) == RegistrationNotFound()
    assert registration.purge_expired() == 1


def test_a5_in_progress_thank_you_page_waits_for_the_account(registration, storage, clock):
    confirmation = confirm(registration, BUDI)
    with storage.transaction() as s:
        s.session.execute(text("UPDATE akses_registrations SET status = 'activating'"))
    assert registration.thank_you(confirmation.token) == ActivationInProgress()
    assert registration.activate(confirmation.token) == ActivationInProgress()
    # A claim whose process died is taken over after the claim timeout.
    with storage.transaction() as s:
        s.session.execute(text("UPDATE akses_registrations SET claimed_at = :t"),
                  {"t": clock.now.replace(tzinfo=None)})
    clock.advance(minutes=6)
    assert isinstance(registration.activate(confirmation.token), Activated)
