"""Contract cases against the fake registry server over real HTTP and against the twins."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import requests

from gerbang_sidecar.app import create_app
from gerbang_sidecar.config import RegistryUrls, Settings
from gerbang_sidecar.domain.registry_results import (
    Accepted,
    Business,
    FaceScore,
    Match,
    NoMatch,
    NotFound,
    PopulationMatch,
    Unavailable,
    compare_investor,
)
from gerbang_sidecar.ports.registries import Registries
from gerbang_sidecar.wiring import build_services

SITI = "3171015203900001"
BUDI = "3273051707850002"
RIZKY = "3471020211930003"
RUDI = "3578032501780004"
AGUS = "3174041503800005"
ANDI = "7371030908920007"
HENDRA = "3374023010750008"
YULIA = "3201064804950009"
FAJAR = "3515070512870010"
HANGS, FAILS, GARBLES = "6471012005700011", "6471011208690012", "6471010301720013"
UNKNOWN_NIK = "3171010101900999"


def test_b2_dukcapil_name_and_birth_date_match(registries: Any) -> None:
    result = registries.dukcapil.verify_identity(SITI, name="Siti  Rahmawati",
                                                 birth_date=date(1990, 3, 12))
    assert result == Match(PopulationMatch(("name", "birth_date")))


def test_b2_dukcapil_registered_name_differs(registries: Any) -> None:
    assert registries.dukcapil.verify_identity(RIZKY, name="Rizky Pratama") == \
        NoMatch(("name",))


def test_o2_dukcapil_birth_date_differs(registries: Any) -> None:
    assert registries.dukcapil.verify_identity(BUDI, birth_date=date(1985, 7, 18)) == \
        NoMatch(("birth_date",))


def test_b2_dukcapil_nik_not_found(registries: Any) -> None:
    assert registries.dukcapil.verify_identity(UNKNOWN_NIK, name="Siapa Saja") == NotFound()


@pytest.mark.parametrize(("nik", "expected"), [
    (SITI, Match(FaceScore(0.94))),
    (YULIA, NoMatch(("face",))),
    (FAJAR, NotFound()),
])
def test_b4_dukcapil_selfie_comparison(registries: Any, nik: str, expected: object) -> None:
    assert registries.dukcapil.compare_face(nik, b"\xff\xd8 a jpeg") == expected


def test_i1_oss_nib_npwp_nik_match(registries: Any) -> None:
    result = registries.oss.verify_business("9120001234561", "012345674073000", HENDRA)
    assert result == Match(Business("9120001234561", "012345674073000",
                                    "PT NUSANTARA DIGITAL NIAGA"))


def test_i1_oss_accepts_legacy_npwp_for_16_digit_record(registries: Any) -> None:
    assert isinstance(registries.oss.verify_business("8120105678902", "034567891411000", BUDI),
                      Match)


def test_i1_oss_nib_npwp_nik_mismatch(registries: Any) -> None:
    result = registries.oss.verify_business("9120001234561", "024681355017000", SITI)
    assert result == NoMatch(("npwp", "responsible_nik"))


def test_i1_oss_nib_not_found(registries: Any) -> None:
    assert registries.oss.verify_business("9999999999999", "012345674073000", HENDRA) == \
        NotFound()


def test_a2_ksei_lookup_by_nik_finds_sid(registries: Any) -> None:
    found = registries.ksei.find_investor("nik", SITI)
    assert isinstance(found, Match) and found.data.sid == "IDD120390482615"
    assert compare_investor(found, email="Siti.Rahmawati@example.com",
                            name="siti rahmawati") == found


def test_a1_ksei_registered_user_without_sid(registries: Any) -> None:
    assert registries.ksei.find_investor("nik", BUDI) == NotFound()


def test_a2_ksei_broker_email_differs(registries: Any) -> None:
    found = registries.ksei.find_investor("nik", RUDI)
    assert compare_investor(found, email="rudi.hartono@example.com") == NoMatch(("email",))


def test_a3_ksei_lookup_by_passport_finds_foreign_sid(registries: Any) -> None:
    found = registries.ksei.find_investor("passport", "tr5839201")
    assert isinstance(found, Match)
    assert (found.data.sid, found.data.domestic) == ("IDF140786301552", False)


@pytest.mark.parametrize(("sid", "domestic"), [("CPD010315774201", True),
                                               ("CPF200912650034", False)])
def test_a4_ksei_lookup_by_sid_finds_institution(registries: Any, sid: str,
                                                 domestic: bool) -> None:
    found = registries.ksei.find_investor("sid", sid)
    assert isinstance(found, Match)
    assert (found.data.investor_type, found.data.domestic) == ("CP", domestic)


def test_a7_ksei_unknown_sid(registries: Any) -> None:
    assert registries.ksei.find_investor("sid", "IDD000000000000") == NotFound()


def test_b3_bkn_nip_matches_nik(registries: Any) -> None:
    found = registries.bkn.verify_civil_servant("198003152005011003", AGUS)
    assert isinstance(found, Match)
    assert found.data.instansi == "Badan Siber dan Sandi Negara"


def test_b3_bkn_nip_of_someone_else(registries: Any) -> None:
    assert registries.bkn.verify_civil_servant("198003152005011003", SITI) == NoMatch(("nik",))


def test_b3_bkn_nip_not_found(registries: Any) -> None:
    assert registries.bkn.verify_civil_servant("199001012015011001", AGUS) == NotFound()


def test_b3_sipp_nrp_matches_nik(registries: Any) -> None:
    found = registries.sipp.verify_officer("92080457", ANDI)
    assert isinstance(found, Match) and found.data.satuan == "Polda Sulawesi Selatan"


def test_b3_sipp_nrp_mismatch_and_not_found(registries: Any) -> None:
    assert registries.sipp.verify_officer("92080457", AGUS) == NoMatch(("nik",))
    assert registries.sipp.verify_officer("99999999", ANDI) == NotFound()


def test_b2_gateway_accepts_a_whatsapp_code(registries: Any) -> None:
    assert isinstance(registries.message_gateway.send("whatsapp", "+6281200001111",
                                                      "Kode OTP 231185"), Accepted)


# Over HTTP only: how the adapters survive a misbehaving registry.

def test_b2_hanging_registry_is_unavailable_within_the_timeout(
        http_registries: Registries) -> None:
    started = time.monotonic()
    result = http_registries.dukcapil.verify_identity(HANGS, name="Slamet Riyadi")
    assert result == Unavailable("dukcapil", "timeout")
    assert time.monotonic() - started < 1.0, "read timeouts are not retried"


@pytest.mark.parametrize(("nik", "reason"), [(FAILS, "http_500"), (GARBLES, "malformed_body")])
def test_broken_registry_is_unavailable(http_registries: Registries, nik: str,
                                        reason: str) -> None:
    assert http_registries.ksei.find_investor("nik", nik) == Unavailable("ksei", reason)
    assert http_registries.bkn.verify_civil_servant("198003152005011003", nik) == \
        Unavailable("bkn", reason)


def test_b2_gateway_messages_can_be_read_back(http_registries: Registries,
                                              registry_server_url: str) -> None:
    to = "+6281399990001"
    key = "outbox-42"
    first = http_registries.message_gateway.send("whatsapp", to, "Kode OTP 654321",
                                                 idempotency_key=key)
    again = http_registries.message_gateway.send("whatsapp", to, "Kode OTP 654321",
                                                 idempotency_key=key)
    assert isinstance(first, Accepted) and again == first
    answer = requests.get(f"{registry_server_url}/gateway/messages", params={"to": to}, timeout=2)
    messages = answer.json()["messages"]
    assert [(m["channel"], m["text"]) for m in messages] == [("whatsapp", "Kode OTP 654321")]


def test_gateway_failure_is_unavailable(http_registries: Registries) -> None:
    assert http_registries.message_gateway.send("sms", "+6281100000500", "x") == \
        Unavailable("message_gateway", "http_500")


def test_health_probes_against_the_fake_server(registry_server_url: str,
                                               make_settings: Callable[..., Settings]) -> None:
    urls = {name: f"{registry_server_url}/{path}" for name, path in (
        ("dukcapil", "dukcapil"), ("oss", "oss"), ("ksei", "ksei"), ("bkn", "bkn"),
        ("message_gateway", "gateway"))}
    urls["sipp"] = "http://127.0.0.1:9/sipp"  # nothing listens there
    services = build_services(make_settings(registry_backend="http",
                                            registry_timeout_seconds=0.5,
                                            registries=RegistryUrls(**urls)))
    checks = create_app(services=services).test_client().get(
        "/internal/ready").get_json()["checks"]
    assert checks == {"bkn": "up", "dukcapil": "up", "ksei": "up", "message_gateway": "up",
                      "oss": "up", "sipp": "down", "database": "up",
                      "certificate_authority": "down"}  # no ca-init here
    assert services.registries.sipp.verify_officer("92080457", ANDI) == \
        Unavailable("sipp", "connection:ConnectionError")
