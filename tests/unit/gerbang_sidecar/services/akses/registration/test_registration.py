"""A5: "Kembali" keeps the form, the thank-you page, tokens that lead nowhere."""

from __future__ import annotations

from datetime import timedelta

from gerbang_sidecar.services.akses.registration.results import (
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


def test_a5_back_after_activation_is_refused(registration, deliver):
    confirmation = register(registration, BUDI, deliver)
    assert registration.edit(confirmation.token) == AlreadyActivated(name="Budi Santoso")


def test_a5_thank_you_names_the_user(registration, clock, deliver):
    confirmation = register(registration, KENJI, deliver)
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


def test_a5_thank_you_page_shows_while_the_account_is_being_made(registration, clock):
    confirmation = confirm(registration, BUDI)
    registration.activate(confirmation.token)
    assert registration.thank_you(confirmation.token) == ThankYou(
        name="Budi Santoso", resend_available_at=clock.now + timedelta(minutes=15))
    assert registration.edit(confirmation.token) == AlreadyActivated(name="Budi Santoso")
