"""A1–A5, X1, X3, X5: "Selanjutnya" — who becomes what, refusals, duplicates, outages."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from gerbang_sidecar.adapters.storage.models import AksesRegistration
from gerbang_sidecar.domain.akses.registration_form import RegistrationType
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.services.akses.registration.results import (
    Activated,
    AlreadyRegistered,
    FormErrors,
)
from gerbang_sidecar.services.results import TemporaryProblem
from gerbang_sidecar.texts import message, translate
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

    activated = registration.activate(confirmation.token)
    assert deliver().sent == 1

    assert isinstance(activated, Activated)
    [user] = flaky_keycloak.in_realm()
    assert user.id == activated.keycloak_user_id
    assert (user.username, user.email, user.first_name, user.email_verified) == (
        "siti.rahmawati@example.com", "siti.rahmawati@example.com", "Siti Rahmawati", False)
    assert user.attributes == {
        "investorType": "individu-lokal", "nik": "3171015203900001",
        "sid": "IDD120390482615", "phoneNumber": "+6281234567890",
        "phoneNumberVerified": "false", "locale": "id"}
    assert user.realm_roles == {"investor", "easy-shareholder"}
    [sent] = flaky_keycloak.sent
    assert sent.user_id == user.id
    assert sent.actions == ["VERIFY_EMAIL", "UPDATE_PASSWORD"]
    assert (sent.client_id, sent.redirect_uri) == ("akses-portal", BERANDA)
    assert identity_records(storage) == [
        ("email", "siti.rahmawati@example.com", user.id), ("nik", "3171015203900001", user.id),
        ("phone", "+6281234567890", user.id), ("sid", "IDD120390482615", user.id)]
    assert audit_types(storage) == ["akses.registration.checked",
                                    "akses.registration.activated",
                                    "akses.registration.activation_email_sent"]


def test_a1_local_without_sid_is_registered_user(registration, flaky_keycloak):
    confirmation, _ = register(registration, BUDI)
    assert confirmation.sid is None and not confirmation.is_investor
    [user] = flaky_keycloak.in_realm()
    assert user.realm_roles == {"registered-user"}
    assert "sid" not in user.attributes


def test_a2_local_name_is_checked_at_dukcapil_not_at_ksei(registration, flaky_keycloak):
    # KSEI knows him as RIZKY PRATAMA; the KTP name is what counts for a local individual.
    confirmation = confirm(registration, RIZKY)
    assert confirmation.sid == "IDD021193557120"
    result = registration.check({**RIZKY, "name": "Rizky Pratama"})
    assert isinstance(result, FormErrors)
    assert {k: e.code for k, e in result.errors.items()} == {"name": "name.population_mismatch"}


def test_a3_foreign_passport_shows_sid(registration, flaky_keycloak):
    confirmation = confirm(registration, KENJI, lang="en")
    assert confirmation.sid == "IDF140786301552"
    assert confirmation.passport_masked == "*****9201"
    assert confirmation.nik_masked is None
    assert confirmation.phone.startswith("+81")
    assert confirmation.type is RegistrationType.INDIVIDU_ASING
    registration.activate(confirmation.token)
    [user] = flaky_keycloak.in_realm()
    assert user.realm_roles == {"investor"}
    assert user.attributes["passport"] == "TR5839201"
    assert user.attributes["investorType"] == "individu-asing"
    assert user.attributes["locale"] == "en"


def test_a3_foreign_passport_without_sid_is_refused(registration, flaky_keycloak):
    result = registration.check({**KENJI, "passport": "ZX9999999"})
    assert isinstance(result, FormErrors)
    assert result.errors["passport"].code == "passport.investor_not_found"
    assert flaky_keycloak.in_realm() == []


def test_a4_institution_by_sid(registration, flaky_keycloak):
    confirmation, _ = register(registration, DANA)
    assert confirmation.sid == "CPD010315774201"
    [user] = flaky_keycloak.in_realm()
    assert user.realm_roles == {"investor"}
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
        assert s.scalars(select(AksesRegistration)).all() == []


def test_a5_confirmation_masks_the_nik_and_shows_the_phone(registration):
    confirmation = confirm(registration, SITI)
    assert confirmation.nik_masked == "************0001"
    assert confirmation.phone == "0812-3456-7890"
    assert confirmation.email == "siti.rahmawati@example.com"
    assert confirmation.roles == ("investor", "easy-shareholder")


@pytest.mark.parametrize("second", [
    pytest.param({**SITI, "email": "siti.rahmawati@example.com ", "phone": "081399990000"},
                 id="same-nik"),
    pytest.param({**BUDI, "email": "SITI.RAHMAWATI@example.com", "phone": "081399990000"},
                 id="same-email"),
])
def test_x1_duplicate_nik_or_email_refused_without_saying_which(registration, flaky_keycloak,
                                                                second):
    register(registration, SITI)
    result = registration.check(second)
    assert result == AlreadyRegistered()  # one answer, naming neither identifier nor account
    said = {lang: translate("reg.already_registered", lang) for lang in ("id", "en")}
    assert "Lupa kata sandi" in said["id"] and "Forgot password" in said["en"]
    assert "NIK" not in said["id"] and "email" not in said["en"].lower()
    assert len(flaky_keycloak.in_realm()) == 1


def test_duplicate_passport_refused(registration, flaky_keycloak):
    register(registration, KENJI)
    assert isinstance(registration.check({**KENJI, "phone": "+81 90-8765-4321"}), AlreadyRegistered)


def test_duplicate_sid_refused(registration, flaky_keycloak):
    register(registration, DANA)
    assert isinstance(registration.check({**DANA, "phone": "082111112222"}), AlreadyRegistered)


def test_duplicate_in_keycloak_only_is_refused(registration, flaky_keycloak):
    # A legacy member (A6) imported into Keycloak with a NIK and no sidecar records.
    flaky_keycloak.create_user(REALM, NewUser(username="siti1987", email=None, first_name="Siti",
                                        attributes={"nik": "3171015203900001"}))
    assert isinstance(registration.check(SITI), AlreadyRegistered)


def test_x1_email_of_an_account_made_elsewhere_is_refused_at_activation(registration,
                                                                        flaky_keycloak, storage):
    # An account an admin made with this email: no record of ours, and no search for it at
    # "Selanjutnya"; Keycloak refuses the second account with that email at "Aktivasi".
    flaky_keycloak.create_user(REALM, NewUser(username="admin-made", email=BUDI["email"],
                                              first_name="Budi"))
    flaky_keycloak.calls.clear()
    confirmation = confirm(registration, BUDI)
    assert flaky_keycloak.calls == ["find_by_attribute"]  # the NIK; nothing else is asked
    assert isinstance(registration.activate(confirmation.token), AlreadyRegistered)
    assert len(flaky_keycloak.in_realm()) == 1
    assert identity_records(storage) == []


@pytest.mark.parametrize("down, form", [("dukcapil", SITI), ("ksei", SITI), ("ksei", KENJI),
                                        ("ksei", DANA)])
def test_registry_unavailable_is_a_temporary_problem(registration, fake_registries,
                                                     flaky_keycloak, storage, down, form):
    getattr(fake_registries, down).outage = "timeout"
    result = registration.check(form)
    assert isinstance(result, TemporaryProblem)
    with storage.session_factory() as s:
        assert s.scalars(select(AksesRegistration)).all() == []
    assert flaky_keycloak.in_realm() == []


def test_keycloak_down_during_check_is_a_temporary_problem(registration, flaky_keycloak):
    flaky_keycloak.down = True
    assert isinstance(registration.check(BUDI), TemporaryProblem)


def test_x3_pending_data_encrypted_and_identifiers_never_logged(registration, storage,
                                                                flaky_keycloak, caplog):
    caplog.set_level(logging.DEBUG)
    confirmation = confirm(registration, SITI)
    with storage.engine.connect() as conn:
        raw = conn.execute(text("SELECT data_encrypted, token_hash FROM akses_registrations")
                           ).one()
    assert b"3171015203900001" not in raw[0] and b"Rahmawati" not in raw[0]
    assert confirmation.token.encode() not in raw[1]
    flaky_keycloak.failing = {"assign_realm_roles"}
    registration.activate(confirmation.token)
    flaky_keycloak.failing = set()
    registration.activate(confirmation.token)
    registration.check(RUDI)
    logged = caplog.text
    for secret in ("3171015203900001", "IDD120390482615", "rahmawati", "6281234567890",
                   "3578032501780004", "rudi", confirmation.token):
        assert secret not in logged.lower()
    assert "activated" in logged
