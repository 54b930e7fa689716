"""Pure AKSes registration rules (A1–A4, A8, X5): no database, no Keycloak, no registries."""

from __future__ import annotations

import datetime as dt

import pytest

from gerbang_sidecar.domain.akses.accounts import identifiers_of, keycloak_attributes, roles_for
from gerbang_sidecar.domain.akses.registration_form import (
    FIELDS,
    FieldErrors,
    RegistrationData,
    RegistrationType,
    form_fields,
    validate_form,
)
from gerbang_sidecar.domain.akses.registry_decisions import (
    Eligible,
    RegistryDown,
    Rejected,
    decide_by_investor,
    decide_local,
)
from gerbang_sidecar.domain.registry_results import (
    Investor,
    Match,
    NoMatch,
    NotFound,
    PopulationMatch,
    Unavailable,
)
from gerbang_sidecar.texts import message

TODAY = dt.date(2025, 3, 1)
SITI_INVESTOR = Investor("IDD120390482615", "ID", "SITI RAHMAWATI", True,
                         "siti.rahmawati@example.com")
FOUND = Match(SITI_INVESTOR)
POPULATION_OK = Match(PopulationMatch(("name",)))


def codes(decision: object) -> dict[str, str]:
    assert isinstance(decision, Rejected)
    return {name: error.code for name, error in decision.errors.items()}


def local(**changes: str | None) -> RegistrationData:
    data = RegistrationData(RegistrationType.INDIVIDU_LOKAL, "Siti Rahmawati",
                            "Siti.Rahmawati@example.com", "+6281234567890",
                            nik="3171015203900001")
    return RegistrationData.from_dict({**data.to_dict(), **changes})


def test_a1_three_types_with_the_fields_of_a2_to_a4():
    assert {t.value for t in RegistrationType} == {"individu-lokal", "individu-asing",
                                                   "institusi"}
    assert FIELDS[RegistrationType.INDIVIDU_LOKAL] == ("name", "nik", "phone", "email")
    assert FIELDS[RegistrationType.INDIVIDU_ASING] == ("name", "passport", "phone", "email")
    assert FIELDS[RegistrationType.INSTITUSI] == ("name", "sid", "phone", "email")


def test_a2_valid_local_form_is_normalised():
    data = validate_form({"type": "individu-lokal", "name": "  Siti   Rahmawati ",
                          "nik": "3171 0152 0390 0001", "phone": "0812-3456-7890",
                          "email": "Siti.Rahmawati@EXAMPLE.com"}, today=TODAY)
    assert data == RegistrationData(RegistrationType.INDIVIDU_LOKAL, "Siti Rahmawati",
                                    "Siti.Rahmawati@example.com", "+6281234567890",
                                    nik="3171015203900001")


def test_x5_all_field_errors_at_once():
    result = validate_form({"type": "individu-lokal", "name": "Dr. Siti", "nik": "123",
                            "phone": "12", "email": "siti@"}, today=TODAY)
    assert isinstance(result, FieldErrors)
    assert set(result.errors) == {"name", "nik", "phone", "email"}
    # Keyed and coded by the form's own field names, whatever rule raised the error.
    assert all(error.field == name for name, error in result.errors.items())
    assert result.errors["name"].code == "name.title"
    assert "gelar" in message(result.errors["name"], "id")
    assert "title" in message(result.errors["name"], "en")


def test_x5_missing_fields_are_each_required():
    result = validate_form({"type": "institusi"}, today=TODAY)
    assert isinstance(result, FieldErrors)
    assert {name: e.code for name, e in result.errors.items()} == {
        "name": "name.required", "sid": "sid.required", "phone": "phone.required",
        "email": "email.required"}


def test_a1_unknown_type_is_a_field_error():
    result = validate_form({"type": "koperasi", "name": "X"}, today=TODAY)
    assert isinstance(result, FieldErrors)
    assert list(result.errors) == ["type"]
    assert message(result.errors["type"], "en").startswith("Choose a registration type")


def test_a2_local_mobile_must_be_indonesian_a3_foreign_may_not_be():
    local_form = {"type": "individu-lokal", "name": "Siti Rahmawati",
                  "nik": "3171015203900001", "phone": "+81 90-1234-5678",
                  "email": "siti@example.com"}
    result = validate_form(local_form, today=TODAY)
    assert isinstance(result, FieldErrors)
    assert result.errors["phone"].code == "phone.foreign_not_allowed"
    foreign = validate_form({"type": "individu-asing", "name": "Kenji Watanabe",
                             "passport": "tr5839201", "phone": "+81 90-1234-5678",
                             "email": "kenji@example.org"}, today=TODAY)
    assert isinstance(foreign, RegistrationData)
    assert (foreign.passport, foreign.phone) == ("TR5839201", "+819012345678")


def test_a4_institution_sid_must_not_be_an_individuals():
    result = validate_form({"type": "institusi", "name": "PT Dana Sejahtera Investama",
                            "sid": "IDD120390482615", "phone": "082155556666",
                            "email": "keuangan@example.com"}, today=TODAY)
    assert isinstance(result, FieldErrors)
    assert result.errors["sid"].code == "sid.individual"


def test_a5_form_fields_keep_what_was_typed_of_the_chosen_type_only():
    typed = {"type": "individu-lokal", "name": " siti ", "nik": "3171-0152", "phone": "0812",
             "email": "x", "passport": "ignored", "csrf_token": "abc"}
    assert form_fields(typed) == {"type": "individu-lokal", "name": " siti ",
                                  "nik": "3171-0152", "phone": "0812", "email": "x"}


def test_a2_local_with_sid_is_investor_email_compared_case_insensitively():
    decision = decide_local(local(), POPULATION_OK, FOUND)
    assert decision == Eligible(local(sid="IDD120390482615"))


def test_a1_local_without_sid_is_registered_user():
    decision = decide_local(local(), POPULATION_OK, NotFound())
    assert isinstance(decision, Eligible)
    assert decision.data.sid is None
    assert roles_for(decision.data) == ("registered-user",)


def test_a2_investor_email_must_match_broker():
    decision = decide_local(local(email="siti@other.example"), POPULATION_OK, FOUND)
    assert isinstance(decision, Rejected)
    assert list(decision.errors) == ["email"]
    assert "broker" in message(decision.errors["email"], "id")
    assert "broker" in message(decision.errors["email"], "en")


def test_a2_name_must_match_dukcapil_and_unknown_nik_answers_the_same():
    mismatch = decide_local(local(), NoMatch(("name",)), None)
    unknown = decide_local(local(), NotFound(), None)
    assert isinstance(mismatch, Rejected)
    # X1: nothing tells whether the NIK exists.
    assert codes(mismatch) == codes(unknown) == {"name": "name.population_mismatch"}


@pytest.mark.parametrize("population, investor", [
    (Unavailable("dukcapil", "timeout"), None),
    (POPULATION_OK, Unavailable("ksei", "http_503")),
])
def test_registry_unavailable_is_not_a_verdict(population, investor):
    decision = decide_local(local(), population, investor)
    assert isinstance(decision, RegistryDown)


def test_a3_a4_identity_first_then_email():
    foreign = RegistrationData(RegistrationType.INDIVIDU_ASING, "Kenji Watanabe",
                               "kenji@wrong.example", "+819012345678", passport="TR5839201")
    kenji = Match(Investor("IDF140786301552", "ID", "KENJI WATANABE", False,
                           "kenji.watanabe@example.org"))
    assert codes(decide_by_investor(foreign, kenji)) == {"email": "email.broker_mismatch"}
    wrong_name = RegistrationData.from_dict({**foreign.to_dict(), "name": "Someone Else"})
    # Name and email both wrong: only the identity is reported, nothing about the email.
    assert codes(decide_by_investor(wrong_name, kenji)) == codes(
        decide_by_investor(foreign, NotFound())) == {"passport": "passport.investor_not_found"}


def test_a8_easy_shareholder_only_for_local_individuals_with_sid():
    assert roles_for(local(sid="IDD120390482615")) == ("investor", "easy-shareholder")
    assert roles_for(local()) == ("registered-user",)
    foreign = RegistrationData(RegistrationType.INDIVIDU_ASING, "Kenji Watanabe",
                               "k@example.org", "+819012345678", passport="TR5839201",
                               sid="IDF140786301552")
    institution = RegistrationData(RegistrationType.INSTITUSI, "PT Dana", "k@example.com",
                                   "+6282155556666", sid="CPD010315774201")
    assert roles_for(foreign) == ("investor",)
    assert roles_for(institution) == ("investor",)


def test_keycloak_attributes_and_identifiers_per_type():
    data = local(sid="IDD120390482615")
    assert keycloak_attributes(data) == {
        "investorType": "individu-lokal", "nik": "3171015203900001",
        "sid": "IDD120390482615", "phoneNumber": "+6281234567890",
        "phoneNumberVerified": "false"}
    assert identifiers_of(data) == [
        ("nik", "3171015203900001"), ("sid", "IDD120390482615"),
        ("email", "siti.rahmawati@example.com"), ("phone", "+6281234567890")]


def test_x3_registration_data_repr_shows_no_identifier():
    text = repr(local(sid="IDD120390482615"))
    assert "3171015203900001" not in text and "example.com" not in text


def test_a1_each_kind_of_account_joins_a_group_the_realm_declares_with_these_roles() -> None:
    import json

    from gerbang_ops.paths import REALM_CONFIG
    from gerbang_sidecar.domain.akses.accounts import GROUP_ROLES

    declared = json.loads((REALM_CONFIG / "akses" / "groups.json").read_text())["groups"]
    assert {g["name"]: tuple(g["realmRoles"]) for g in declared} == GROUP_ROLES
