"""A1–A5, X1, X3, X5: "Selanjutnya" — who becomes what, refusals, outages; no account lookups."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from gerbang_sidecar.adapters.storage.models import Registration
from gerbang_sidecar.domain.akses.registration_form import RegistrationType
from gerbang_sidecar.services.akses.registration.results import (
    ActivationAccepted,
    FormErrors,
)
from gerbang_sidecar.services.results import TemporaryProblem
from gerbang_sidecar.texts import message
from support.akses_registrations import (
    BERANDA,
    BUDI,
    DANA,
    HARBOUR,
    KENJI,
    REALM,
    RIZKY,
    RUDI,
    SITI,
    audit_types,
    confirm,
    identity_records,
    register,
)


def test_a2_local_with_sid_becomes_investor_and_easy_shareholder(registration, flaky_keycloak,
                                                                 storage, deliver):
    confirmation = confirm(registration, SITI)
    assert (confirmation.name, confirmation.sid) == ("Siti Rahmawati", "IDD120390482615")
    assert confirmation.type is RegistrationType.INDIVIDU_LOKAL

    accepted = registration.activate(confirmation.token)
    assert isinstance(accepted, ActivationAccepted)
    assert flaky_keycloak.in_realm() == []  # the worker makes the account
    assert deliver().sent == 2  # the account, then its email

    [user] = flaky_keycloak.in_realm()
    assert (user.username, user.email, user.first_name, user.email_verified) == (
        "siti.rahmawati@example.com", "siti.rahmawati@example.com", "Siti Rahmawati", False)
    assert user.attributes == {
        "investorType": "individu-lokal", "nik": "3171015203900001",
        "sid": "IDD120390482615", "phoneNumber": "+6281234567890",
        "phoneNumberVerified": "false", "locale": "id"}
    assert flaky_keycloak.realm_roles_of(REALM, user.id) == {"investor", "easy-shareholder"}
    [sent] = flaky_keycloak.sent
    assert sent.user_id == user.id
    assert sent.actions == ["VERIFY_EMAIL", "UPDATE_PASSWORD"]
    assert (sent.client_id, sent.redirect_uri) == ("akses-portal", BERANDA)
    assert identity_records(storage) == [
        ("email", "siti.rahmawati@example.com", user.id), ("nik", "3171015203900001", user.id),
        ("phone", "+6281234567890", user.id), ("sid", "IDD120390482615", user.id)]
    assert audit_types(storage) == ["akses.registration.checked",
                                    "akses.registration.accepted",
                                    "akses.registration.activated",
                                    "akses.registration.activation_email_sent"]


def test_a1_local_without_sid_is_registered_user(registration, flaky_keycloak, deliver):
    confirmation = register(registration, BUDI, deliver)
    assert confirmation.sid is None and not confirmation.is_investor
    [user] = flaky_keycloak.in_realm()
    assert flaky_keycloak.realm_roles_of(REALM, user.id) == {"registered-user"}
    assert "sid" not in user.attributes


def test_a2_local_name_is_checked_at_dukcapil_not_at_ksei(registration, flaky_keycloak):
    # KSEI knows him as RIZKY PRATAMA; the KTP name is what counts for a local individual.
    confirmation = confirm(registration, RIZKY)
    assert confirmation.sid == "IDD021193557120"
    result = registration.check({**RIZKY, "name": "Rizky Pratama"})
    assert isinstance(result, FormErrors)
    assert {k: e.code for k, e in result.errors.items()} == {"name": "name.population_mismatch"}


def test_a3_foreign_passport_shows_sid(registration, flaky_keycloak, deliver):
    confirmation = confirm(registration, KENJI, lang="en")
    assert confirmation.sid == "IDF140786301552"
    assert confirmation.passport_masked == "*****9201"
    assert confirmation.nik_masked is None
    assert confirmation.phone.startswith("+81")
    assert confirmation.type is RegistrationType.INDIVIDU_ASING
    registration.activate(confirmation.token)
    deliver()
    [user] = flaky_keycloak.in_realm()
    assert flaky_keycloak.realm_roles_of(REALM, user.id) == {"investor"}
    assert user.attributes["passport"] == "TR5839201"
    assert user.attributes["investorType"] == "individu-asing"
    assert user.attributes["locale"] == "en"


def test_a3_foreign_passport_without_sid_is_refused(registration, flaky_keycloak):
    result = registration.check({**KENJI, "passport": "ZX9999999"})
    assert isinstance(result, FormErrors)
    assert result.errors["passport"].code == "passport.investor_not_found"
    assert flaky_keycloak.in_realm() == []


def test_a4_institution_by_sid(registration, flaky_keycloak, deliver):
    confirmation = register(registration, DANA, deliver)
    assert confirmation.sid == "CPD010315774201"
    [user] = flaky_keycloak.in_realm()
    assert flaky_keycloak.realm_roles_of(REALM, user.id) == {"investor"}
    assert user.attributes["investorType"] == "institusi"
    assert user.attributes["sid"] == "CPD010315774201"


def test_a4_foreign_institution_name_and_email_compare_case_insensitively(registration,
                                                                          flaky_keycloak):
    confirmation = confirm(registration, HARBOUR)
    assert confirmation.sid == "CPF200912650034"
    result = registration.check({**DANA, "name": "PT Dana Sejahtera"})
    assert isinstance(result, FormErrors)
    assert result.errors["sid"].code == "sid.investor_not_found"


def test_a2_investor_email_must_match_broker(registration, flaky_keycloak):
    result = registration.check(RUDI)
    assert isinstance(result, FormErrors)
    assert list(result.errors) == ["email"]
    assert "Perusahaan Efek (broker)" in message(result.errors["email"], "id")
    assert "broker" in message(result.errors["email"], "en")
    assert result.fields == RUDI  # the form comes back as typed
    assert flaky_keycloak.in_realm() == []


def test_x5_all_field_errors_at_once(registration, storage):
    result = registration.check({"type": "individu-lokal", "name": "Siti, S.E.", "nik": "31710152",
                            "phone": "+81 90-1234-5678", "email": "siti@@example"})
    assert isinstance(result, FormErrors)
    assert set(result.errors) == {"name", "nik", "phone", "email"}
    assert all(message(error, lang) for error in result.errors.values() for lang in ("id", "en"))
    with storage.session_factory() as s:
        assert s.scalars(select(Registration)).all() == []


def test_a5_confirmation_masks_the_nik_and_shows_the_phone(registration):
    confirmation = confirm(registration, SITI)
    assert confirmation.nik_masked == "************0001"
    assert confirmation.phone == "0812-3456-7890"
    assert confirmation.email == "siti.rahmawati@example.com"
    assert confirmation.roles == ("investor", "easy-shareholder")


@pytest.mark.parametrize("down, form", [("dukcapil", SITI), ("ksei", SITI), ("ksei", KENJI),
                                        ("ksei", DANA)])
def test_registry_unavailable_is_a_temporary_problem(registration, fake_registries,
                                                     flaky_keycloak, storage, down, form):
    getattr(fake_registries, down).outage = "timeout"
    result = registration.check(form)
    assert isinstance(result, TemporaryProblem)
    with storage.session_factory() as s:
        assert s.scalars(select(Registration)).all() == []
    assert flaky_keycloak.in_realm() == []


def test_x1_selanjutnya_asks_keycloak_nothing(registration, flaky_keycloak, deliver):
    # Whether an identifier has an account is decided after "Aktivasi", out of sight: the
    # same answer in the same time for a taken NIK or email and a free one.
    register(registration, SITI, deliver)
    flaky_keycloak.calls.clear()
    flaky_keycloak.down = True
    assert isinstance(confirm(registration, SITI), type(confirm(registration, BUDI)))
    assert flaky_keycloak.calls == []


def test_x3_pending_data_encrypted_and_identifiers_never_logged(registration, storage,
                                                                flaky_keycloak, caplog,
                                                                deliver, clock):
    caplog.set_level(logging.DEBUG)
    confirmation = confirm(registration, SITI)
    with storage.engine.connect() as conn:
        raw = conn.execute(text("SELECT data_encrypted, token_hash FROM registrations")
                           ).one()
    assert b"3171015203900001" not in raw[0] and b"Rahmawati" not in raw[0]
    assert confirmation.token.encode() not in raw[1]
    # The undo path too: Keycloak fails after the user is made, the next run takes it over.
    flaky_keycloak.failing = {"send_actions_email"}
    registration.activate(confirmation.token)
    deliver()
    flaky_keycloak.failing = set()
    clock.advance(minutes=5)
    deliver()
    registration.check(RUDI)
    register(registration, {**BUDI, "phone": SITI["phone"]}, deliver)  # declined
    logged = caplog.text
    for secret in ("3171015203900001", "IDD120390482615", "rahmawati", "6281234567890",
                   "3578032501780004", "rudi", confirmation.token):
        assert secret not in logged.lower()
    assert "activated" in logged and "declined" in logged
