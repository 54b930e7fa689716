"""The in-memory twins and the seed data both fake registries serve."""

from __future__ import annotations

import re
from datetime import date

import pytest
from stdnum.id import nik as stdnum_nik
from stdnum.id import npwp as stdnum_npwp

from gerbang_sidecar.adapters.registries.dukcapil import FakeDukcapil, Resident
from gerbang_sidecar.adapters.registries.fakes import FAULTS, build_fake_registries, load_seed
from gerbang_sidecar.adapters.registries.message_gateway import FakeMessageGateway
from gerbang_sidecar.domain.registry_results import (
    Accepted,
    Match,
    NoMatch,
    NotFound,
    Unavailable,
    compare_investor,
    judge_face_score,
)

SEED = load_seed()
RESIDENTS = {r["nik"]: r for r in SEED["residents"]}


@pytest.mark.parametrize("resident", SEED["residents"], ids=lambda r: r["name"])
def test_seeded_niks_are_valid_and_encode_birth_date_and_sex(resident: dict) -> None:
    nik = resident["nik"]
    assert stdnum_nik.is_valid(nik)
    assert stdnum_nik.get_birth_date(nik) == date.fromisoformat(resident["birth_date"])
    assert (int(nik[6:8]) > 40) == (resident["sex"] == "F")


@pytest.mark.parametrize("business", SEED["businesses"], ids=lambda b: b["name"])
def test_i1_seeded_businesses_have_valid_npwp_and_known_responsible(business: dict) -> None:
    assert re.fullmatch(r"\d{13}", business["nib"])
    assert stdnum_npwp.is_valid(business["npwp"])
    assert business["responsible_nik"] in RESIDENTS


@pytest.mark.parametrize("investor", SEED["investors"], ids=lambda i: i["name"])
def test_a1_seeded_sids_carry_type_and_residency(investor: dict) -> None:
    sid = investor["sid"]
    assert re.fullmatch(r"[A-Z]{2}[DF][A-Z0-9]{12}", sid)
    assert sid[:2] == investor["investor_type"]
    assert (sid[2] == "D") == investor["domestic"]
    assert investor.get("nik") is None or investor["nik"] in RESIDENTS


@pytest.mark.parametrize("servant", SEED["civil_servants"], ids=lambda s: s["name"])
def test_b3_seeded_nips_agree_with_the_nik(servant: dict) -> None:
    nip, resident = servant["nip"], RESIDENTS[servant["nik"]]
    assert re.fullmatch(r"\d{18}", nip)
    assert date(int(nip[:4]), int(nip[4:6]), int(nip[6:8])) == date.fromisoformat(
        resident["birth_date"])
    assert nip[14] == ("2" if resident["sex"] == "F" else "1")


def test_b3_seeded_nrps_agree_with_the_nik() -> None:
    for officer in SEED["police_officers"]:
        born = date.fromisoformat(RESIDENTS[officer["nik"]]["birth_date"])
        assert re.fullmatch(r"\d{8}", officer["nrp"])
        assert officer["nrp"][:4] == born.strftime("%y%m")


def test_seed_faults_are_known() -> None:
    assert set(SEED["faults"].values()) <= set(FAULTS)


def test_b2_twin_dukcapil_name_differs() -> None:
    fakes = build_fake_registries()
    assert fakes.dukcapil.verify_identity("3471020211930003", name="Rizky Pratama") == \
        NoMatch(("name",))
    found = fakes.ksei.find_investor("nik", "3471020211930003")
    assert isinstance(found, Match) and found.data.name == "RIZKY PRATAMA"


def test_a2_twin_broker_email_differs() -> None:
    found = build_fake_registries().ksei.find_investor("nik", "3578032501780004")
    assert compare_investor(found, email="rudi.hartono@example.com") == NoMatch(("email",))
    assert compare_investor(found, email="Rudi.Hartono.Saham@example.net") == found


def test_a1_twin_registered_user_has_no_sid() -> None:
    assert build_fake_registries().ksei.find_investor("nik", "3273051707850002") == NotFound()


def test_i1_twin_oss_accepts_both_npwp_forms() -> None:
    oss = build_fake_registries().oss
    for npwp in ("0034567891411000", "034567891411000"):
        assert isinstance(oss.verify_business("8120105678902", npwp, "3273051707850002"), Match)


def test_twin_outage_makes_every_call_unavailable() -> None:
    dukcapil = FakeDukcapil([Resident("3171015203900001", "SITI", date(1990, 3, 12), 0.9)])
    dukcapil.outage = "timeout"
    assert dukcapil.verify_identity("3171015203900001", name="SITI") == \
        Unavailable("dukcapil", "timeout")
    assert dukcapil.compare_face("3171015203900001", b"x") == Unavailable("dukcapil", "timeout")
    assert not dukcapil.is_reachable()


def test_b2_twin_gateway_keeps_messages_and_drops_duplicates() -> None:
    gateway = FakeMessageGateway()
    first = gateway.send("whatsapp", "+6281234567890", "Kode 111111", idempotency_key="k")
    again = gateway.send("whatsapp", "+6281234567890", "Kode 111111", idempotency_key="k")
    gateway.send("sms", "+6281234567890", "Kode 222222")
    assert isinstance(first, Accepted) and again == first
    assert [m.text for m in gateway.messages_to("6281234567890")] == ["Kode 222222",
                                                                     "Kode 111111"]


@pytest.mark.parametrize("score", [-0.1, 1.01])
def test_b4_face_score_outside_range_is_rejected(score: float) -> None:
    with pytest.raises(ValueError):
        judge_face_score(score)
