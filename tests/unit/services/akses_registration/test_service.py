"""AKSes registration use cases (A1–A5, C2, X1, X3–X5) on real SQLite, the Keycloak fake and
the registry twins loaded from the demo seed (docs/registries.md)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from gerbang_sidecar.adapters.keycloak import NewUser
from gerbang_sidecar.adapters.storage import IdentityRecords, Storage
from gerbang_sidecar.adapters.storage.models import AksesRegistration, AuditEvent, IdentityRecord
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.services.akses_registration import (
    AccountAlreadyActive,
    Activated,
    ActivationInProgress,
    AlreadyActivated,
    AlreadyRegistered,
    Confirmation,
    FormData,
    FormErrors,
    RegistrationNotFound,
    Resent,
    TemporaryProblem,
    ThankYou,
)

REALM = "akses"
BERANDA = "https://gerbang.example.id/akses/beranda"

# Seeded demo identities. Phones differ: a mobile number belongs to one account too.
SITI = {"type": "individu-lokal", "name": "Siti Rahmawati", "nik": "3171015203900001",
        "phone": "0812-3456-7890", "email": "siti.rahmawati@example.com"}
BUDI = {"type": "individu-lokal", "name": "Budi Santoso", "nik": "3273051707850002",
        "phone": "081298765432", "email": "budi.santoso@example.co.id"}
RIZKY = {"type": "individu-lokal", "name": "Muhammad Rizky Pratama",
         "nik": "3471020211930003", "phone": "081311112222",
         "email": "rizky.pratama@example.com"}
RUDI = {"type": "individu-lokal", "name": "Rudi Hartono", "nik": "3578032501780004",
        "phone": "081377778888", "email": "rudi.hartono@example.com"}
KENJI = {"type": "individu-asing", "name": "Kenji Watanabe", "passport": "tr5839201",
         "phone": "+81 90-1234-5678", "email": "kenji.watanabe@example.org"}
DANA = {"type": "institusi", "name": "PT Dana Sejahtera Investama", "sid": "CPD010315774201",
        "phone": "+62 821 5555 6666", "email": "keuangan@danasejahtera.example.com"}
HARBOUR = {"type": "institusi", "name": "HARBOUR BRIDGE CAPITAL PTE. LTD.",
           "sid": "cpf-200912650034", "phone": "+65 8123 4567",
           "email": "Operations@HarbourBridge.example.com"}


def confirm(service: Any, form: dict[str, str], lang: str = "id") -> Confirmation:
    result = service.check(form, lang)
    assert isinstance(result, Confirmation), result
    return result


def register(service: Any, form: dict[str, str]) -> tuple[Confirmation, Activated]:
    confirmation = confirm(service, form)
    activated = service.activate(confirmation.token)
    assert isinstance(activated, Activated), activated
    return confirmation, activated


def identity_records(storage: Storage) -> list[tuple[str, str, str | None]]:
    with storage.session_factory() as s:
        return sorted((r.kind, r.value, r.subject_id)
                      for r in s.scalars(select(IdentityRecord)))


def audit_types(storage: Storage) -> list[str]:
    with storage.session_factory() as s:
        return [e.event_type for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


# --- A1–A4: who becomes what -----------------------------------------------------------------


def test_a2_local_with_sid_becomes_investor_and_easy_shareholder(service, keycloak, storage):
    confirmation = confirm(service, SITI)
    assert (confirmation.name, confirmation.sid) == ("Siti Rahmawati", "IDD120390482615")
    assert confirmation.type_label("id") == "Individu Lokal"

    activated = service.activate(confirmation.token)

    assert isinstance(activated, Activated) and activated.email_sent
    [user] = keycloak.in_realm()
    assert user.id == activated.keycloak_user_id
    assert (user.username, user.email, user.first_name, user.email_verified) == (
        "siti.rahmawati@example.com", "siti.rahmawati@example.com", "Siti Rahmawati", False)
    assert user.attributes == {
        "investorType": "individu-lokal", "nik": "3171015203900001",
        "sid": "IDD120390482615", "phoneNumber": "+6281234567890",
        "phoneNumberVerified": "false", "locale": "id"}
    assert user.realm_roles == {"investor", "easy-shareholder"}
    [sent] = keycloak.sent
    assert sent.user_id == user.id
    assert sent.actions == ["VERIFY_EMAIL", "UPDATE_PASSWORD"]
    assert (sent.client_id, sent.redirect_uri) == ("akses-portal", BERANDA)
    assert identity_records(storage) == [
        ("email", "siti.rahmawati@example.com", user.id), ("nik", "3171015203900001", user.id),
        ("phone", "+6281234567890", user.id), ("sid", "IDD120390482615", user.id)]
    assert audit_types(storage) == ["akses.registration.checked",
                                    "akses.registration.activated",
                                    "akses.registration.activation_email_sent"]


def test_a1_local_without_sid_is_registered_user(service, keycloak):
    confirmation, _ = register(service, BUDI)
    assert confirmation.sid is None and not confirmation.is_investor
    [user] = keycloak.in_realm()
    assert user.realm_roles == {"registered-user"}
    assert "sid" not in user.attributes


def test_a2_local_name_is_checked_at_dukcapil_not_at_ksei(service, keycloak):
    # KSEI knows him as RIZKY PRATAMA; the KTP name is what counts for a local individual.
    confirmation = confirm(service, RIZKY)
    assert confirmation.sid == "IDD021193557120"
    result = service.check({**RIZKY, "name": "Rizky Pratama"})
    assert isinstance(result, FormErrors)
    assert {k: e.code for k, e in result.errors.items()} == {"name": "name.population_mismatch"}


def test_a3_foreign_passport_shows_sid(service, keycloak):
    confirmation = confirm(service, KENJI, lang="en")
    assert confirmation.sid == "IDF140786301552"
    assert confirmation.passport_masked == "*****9201"
    assert confirmation.nik_masked is None
    assert confirmation.phone.startswith("+81")
    assert confirmation.type_label("en") == "Foreign Individual Investor"
    service.activate(confirmation.token)
    [user] = keycloak.in_realm()
    assert user.realm_roles == {"investor"}
    assert user.attributes["passport"] == "TR5839201"
    assert user.attributes["investorType"] == "individu-asing"
    assert user.attributes["locale"] == "en"


def test_a3_foreign_passport_without_sid_is_refused(service, keycloak):
    result = service.check({**KENJI, "passport": "ZX9999999"})
    assert isinstance(result, FormErrors)
    assert result.errors["passport"].code == "passport.investor_not_found"
    assert keycloak.in_realm() == []


def test_a4_institution_by_sid(service, keycloak):
    confirmation, _ = register(service, DANA)
    assert confirmation.sid == "CPD010315774201"
    [user] = keycloak.in_realm()
    assert user.realm_roles == {"investor"}
    assert user.attributes["investorType"] == "institusi"
    assert user.attributes["sid"] == "CPD010315774201"


def test_a4_foreign_institution_name_and_email_compare_case_insensitively(service, keycloak):
    confirmation = confirm(service, HARBOUR)
    assert confirmation.sid == "CPF200912650034"
    result = service.check({**DANA, "name": "PT Dana Sejahtera"})
    assert isinstance(result, FormErrors)
    assert result.errors["sid"].code == "sid.investor_not_found"


def test_a2_investor_email_must_match_broker(service, keycloak):
    result = service.check(RUDI)
    assert isinstance(result, FormErrors)
    assert list(result.errors) == ["email"]
    assert "Perusahaan Efek (broker)" in result.messages("id")["email"]
    assert "broker" in result.messages("en")["email"]
    assert result.fields == RUDI  # the form comes back as typed
    assert keycloak.in_realm() == []


def test_x5_all_field_errors_at_once(service, storage):
    result = service.check({"type": "individu-lokal", "name": "Siti, S.E.", "nik": "31710152",
                            "phone": "+81 90-1234-5678", "email": "siti@@example"})
    assert isinstance(result, FormErrors)
    assert set(result.errors) == {"name", "nik", "phone", "email"}
    assert all(result.messages("id").values()) and all(result.messages("en").values())
    with storage.session_factory() as s:
        assert s.scalars(select(AksesRegistration)).all() == []


# --- A5: confirmation, back, activation, thank you -------------------------------------------


def test_a5_confirmation_masks_the_nik_and_shows_the_phone(service):
    confirmation = confirm(service, SITI)
    assert confirmation.nik_masked == "************0001"
    assert confirmation.phone == "0812-3456-7890"
    assert confirmation.email == "siti.rahmawati@example.com"
    assert confirmation.roles == ("investor", "easy-shareholder")


def test_a5_back_keeps_every_field(service):
    typed = {**SITI, "name": "  siti   rahmawati ", "email": "Siti.Rahmawati@Example.COM",
             "passport": "not part of this type"}
    confirmation = confirm(service, typed)
    back = service.edit(confirmation.token)
    assert back == FormData(
        type=confirmation.type,
        fields={"type": "individu-lokal", "name": "  siti   rahmawati ",
                "nik": "3171015203900001", "phone": "0812-3456-7890",
                "email": "Siti.Rahmawati@Example.COM"})


def test_a5_back_after_activation_is_refused(service):
    confirmation, _ = register(service, BUDI)
    assert service.edit(confirmation.token) == AlreadyActivated(name="Budi Santoso")


def test_a5_thank_you_names_the_user(service, clock):
    confirmation, _ = register(service, KENJI)
    assert service.thank_you(confirmation.token) == ThankYou(
        name="Kenji Watanabe", email_sent=True,
        resend_available_at=clock.now + timedelta(minutes=15))


def test_a5_unknown_or_expired_tokens_are_not_found(service, clock):
    assert service.edit("nope") == RegistrationNotFound()
    assert service.activate("x" * 500) == RegistrationNotFound()
    assert service.thank_you("") == RegistrationNotFound()
    confirmation = confirm(service, BUDI)
    clock.advance(hours=24, seconds=1)
    assert service.edit(confirmation.token) == RegistrationNotFound()
    assert service.activate(confirmation.token) == RegistrationNotFound()
    assert service.purge_expired() == 1


def test_a5_double_activation_creates_one_account(service, keycloak):
    confirmation = confirm(service, SITI)
    first = service.activate(confirmation.token)
    again = service.activate(confirmation.token)
    assert isinstance(first, Activated) and isinstance(again, Activated)
    assert again.keycloak_user_id == first.keycloak_user_id
    assert len(keycloak.in_realm()) == 1
    assert len(keycloak.sent) == 1


def test_a5_double_activation_concurrent_clicks_create_one_account(service, keycloak, storage):
    confirmation = confirm(service, DANA)
    keycloak.create_delay = 0.2  # keep the first click inside Keycloak while the second lands
    start = threading.Barrier(2)
    results: list[Any] = []

    def click() -> None:
        start.wait()
        results.append(service.activate(confirmation.token))

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert sorted(type(r).__name__ for r in results) == ["Activated", "ActivationInProgress"]
    assert len(keycloak.in_realm()) == 1
    assert keycloak.calls.count("create_user") == 1
    assert len(identity_records(storage)) == 3  # sid, email, phone


def test_a5_in_progress_thank_you_page_waits_for_the_account(service, storage, clock):
    confirmation = confirm(service, BUDI)
    with storage.transaction() as s:
        s.execute(text("UPDATE akses_registrations SET status = 'activating'"))
    assert service.thank_you(confirmation.token) == ActivationInProgress()
    assert service.activate(confirmation.token) == ActivationInProgress()
    # A claim whose process died is taken over after the claim timeout.
    with storage.transaction() as s:
        s.execute(text("UPDATE akses_registrations SET claimed_at = :t"),
                  {"t": clock.now.replace(tzinfo=None)})
    clock.advance(minutes=6)
    assert isinstance(service.activate(confirmation.token), Activated)


# --- C2: Kirim Ulang -------------------------------------------------------------------------


def test_a5_resend_only_after_15_minutes(service, keycloak, clock):
    confirmation, _ = register(service, SITI)
    clock.advance(minutes=14, seconds=30)
    assert service.resend(confirmation.token) == TooEarly(30)
    assert len(keycloak.sent) == 1
    clock.advance(seconds=30)
    resent = service.resend(confirmation.token)
    assert isinstance(resent, Resent)
    assert len(keycloak.sent) == 2
    assert service.resend(confirmation.token) == TooEarly(15 * 60)
    clock.advance(minutes=15)
    assert isinstance(service.resend(confirmation.token), Resent)


def test_c2_resend_before_activation_or_after_verification(service, keycloak, clock):
    confirmation = confirm(service, BUDI)
    assert service.resend(confirmation.token) == RegistrationNotFound()
    service.activate(confirmation.token)
    [user] = keycloak.in_realm()
    keycloak.update_user(REALM, user.id, email_verified=True)
    clock.advance(minutes=15)
    assert service.resend(confirmation.token) == AccountAlreadyActive()


def test_c2_concurrent_resends_send_once(service, keycloak, clock):
    confirmation, _ = register(service, BUDI)
    clock.advance(minutes=15)
    results: list[Any] = []
    start = threading.Barrier(4)

    def click() -> None:
        start.wait()
        results.append(service.resend(confirmation.token))

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sum(isinstance(r, Resent) for r in results) == 1
    assert len(keycloak.sent) == 2


# --- X5: nothing half-written ----------------------------------------------------------------


@pytest.mark.parametrize("failing", ["create_user", "assign_realm_roles"])
def test_x5_keycloak_failure_leaves_nothing_half_written(service, keycloak, storage, failing):
    confirmation = confirm(service, SITI)
    keycloak.failing = {failing}

    assert isinstance(service.activate(confirmation.token), TemporaryProblem)

    assert keycloak.in_realm() == []
    assert identity_records(storage) == []
    assert keycloak.sent == []
    assert "akses.registration.activated" not in audit_types(storage)
    # The same confirmation page works once Keycloak is back.
    keycloak.failing = set()
    activated = service.activate(confirmation.token)
    assert isinstance(activated, Activated)
    assert len(keycloak.in_realm()) == 1 and len(identity_records(storage)) == 4


def test_x5_failed_undo_is_finished_before_the_next_attempt(service, keycloak, storage):
    confirmation = confirm(service, BUDI)
    keycloak.failing = {"assign_realm_roles", "delete_user"}
    assert isinstance(service.activate(confirmation.token), TemporaryProblem)
    assert len(keycloak.in_realm()) == 1  # an orphan Keycloak could not delete
    keycloak.failing = set()
    assert isinstance(service.activate(confirmation.token), Activated)
    [user] = keycloak.in_realm()
    assert user.realm_roles == {"registered-user"}


def test_x5_database_failure_after_keycloak_undoes_the_user(service, keycloak, storage, clock):
    confirmation = confirm(service, BUDI)
    # Another registration took the same phone at the very last moment: the unique identity
    # records refuse this one, and its Keycloak user is removed again.
    with storage.transaction() as s:
        IdentityRecords(s).add(realm=REALM, kind="phone", value="+6281298765432",
                               created_at=clock.now, subject_id="someone")
    assert isinstance(service.activate(confirmation.token), AlreadyRegistered)
    assert keycloak.in_realm() == []
    assert [r[0] for r in identity_records(storage)] == ["phone"]


def test_x5_email_send_failure_keeps_account_and_resend_retries_at_once(service, keycloak):
    confirmation = confirm(service, SITI)
    keycloak.failing = {"send_actions_email"}
    activated = service.activate(confirmation.token)
    assert isinstance(activated, Activated) and not activated.email_sent
    assert len(keycloak.in_realm()) == 1
    thanks = service.thank_you(confirmation.token)
    assert isinstance(thanks, ThankYou) and not thanks.email_sent
    assert isinstance(service.resend(confirmation.token), TemporaryProblem)
    keycloak.failing = set()
    assert isinstance(service.resend(confirmation.token), Resent)  # no 15-minute wait
    assert len(keycloak.sent) == 1


# --- duplicates (X1) and outages ------------------------------------------------------------


@pytest.mark.parametrize("second", [
    pytest.param({**SITI, "email": "siti.rahmawati@example.com ", "phone": "081399990000"},
                 id="same-nik"),
    pytest.param({**BUDI, "email": "SITI.RAHMAWATI@example.com", "phone": "081399990000"},
                 id="same-email"),
])
def test_x1_duplicate_nik_or_email_refused_without_saying_which(service, keycloak, second):
    register(service, SITI)
    result = service.check(second)
    assert isinstance(result, AlreadyRegistered)
    assert "Lupa kata sandi" in result.message("id")
    assert "Forgot password" in result.message("en")
    assert "NIK" not in result.message("id") and "email" not in result.message("en").lower()
    assert len(keycloak.in_realm()) == 1


def test_duplicate_passport_refused(service, keycloak):
    register(service, KENJI)
    assert isinstance(service.check({**KENJI, "phone": "+81 90-8765-4321"}), AlreadyRegistered)


def test_duplicate_sid_refused(service, keycloak):
    register(service, DANA)
    assert isinstance(service.check({**DANA, "phone": "082111112222"}), AlreadyRegistered)


def test_duplicate_in_keycloak_only_is_refused(service, keycloak):
    # A legacy member (A6) imported into Keycloak with a NIK and no sidecar records.
    keycloak.create_user(REALM, NewUser(username="siti1987", email=None, first_name="Siti",
                                        attributes={"nik": "3171015203900001"}))
    assert isinstance(service.check(SITI), AlreadyRegistered)


def test_second_pending_registration_of_one_person_cannot_activate(service, keycloak):
    first = confirm(service, BUDI)
    second = confirm(service, {**BUDI, "email": "budi.lain@example.co.id"})
    assert isinstance(service.activate(first.token), Activated)
    assert isinstance(service.activate(second.token), AlreadyRegistered)
    assert len(keycloak.in_realm()) == 1


@pytest.mark.parametrize("down, form", [("dukcapil", SITI), ("ksei", SITI), ("ksei", KENJI),
                                        ("ksei", DANA)])
def test_registry_unavailable_is_a_temporary_problem(service, registries, keycloak, storage,
                                                     down, form):
    getattr(registries, down).outage = "timeout"
    result = service.check(form)
    assert isinstance(result, TemporaryProblem)
    assert "sementara" in result.message("id") and "temporary" in result.message("en")
    with storage.session_factory() as s:
        assert s.scalars(select(AksesRegistration)).all() == []
    assert keycloak.in_realm() == []


def test_keycloak_down_during_check_is_a_temporary_problem(service, keycloak):
    keycloak.down = True
    assert isinstance(service.check(BUDI), TemporaryProblem)


# --- X3: encrypted at rest, nothing in the logs ----------------------------------------------


def test_x3_pending_data_encrypted_and_identifiers_never_logged(service, storage, keycloak,
                                                                caplog):
    caplog.set_level(logging.DEBUG)
    confirmation = confirm(service, SITI)
    with storage.engine.connect() as conn:
        raw = conn.execute(text("SELECT data_encrypted, token_hash FROM akses_registrations")
                           ).one()
    assert b"3171015203900001" not in raw[0] and b"Rahmawati" not in raw[0]
    assert confirmation.token.encode() not in raw[1]
    keycloak.failing = {"assign_realm_roles"}
    service.activate(confirmation.token)
    keycloak.failing = set()
    service.activate(confirmation.token)
    service.check(RUDI)
    logged = caplog.text
    for secret in ("3171015203900001", "IDD120390482615", "rahmawati", "6281234567890",
                   "3578032501780004", "rudi", confirmation.token):
        assert secret not in logged.lower()
    assert "activated" in logged


def test_x4_activated_registration_keeps_only_the_name(service, storage):
    _, activated = register(service, SITI)
    with storage.session_factory() as s:
        row = s.scalars(select(AksesRegistration)).one()
        assert row.data == {"name": "Siti Rahmawati"}
        assert row.keycloak_user_id == activated.keycloak_user_id
        [event] = [e for e in s.scalars(select(AuditEvent))
                   if e.event_type == "akses.registration.activated"]
        assert event.subject_id == activated.keycloak_user_id
        assert event.details["roles"] == ["investor", "easy-shareholder"]
