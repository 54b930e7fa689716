"""Every HTTP adapter maps its registry's answers onto the four domain outcomes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from gerbang_sidecar.adapters.registries.bkn import HttpBkn
from gerbang_sidecar.adapters.registries.dukcapil import HttpDukcapil
from gerbang_sidecar.adapters.registries.ksei import HttpKsei
from gerbang_sidecar.adapters.registries.oss import HttpOss
from gerbang_sidecar.adapters.registries.sipp import HttpSipp
from gerbang_sidecar.adapters.registries.transport import RegistryClient
from gerbang_sidecar.domain.registry_results import (
    Business,
    CivilServant,
    FaceScore,
    Investor,
    Match,
    NoMatch,
    NotFound,
    PoliceOfficer,
    PopulationMatch,
    Unavailable,
    compare_investor,
)

# Same as conftest.BASE; with --import-mode=importlib a conftest can't be imported.
BASE = "http://registry.test"
ClientFactory = Callable[..., RegistryClient]

NIK = "3171015203900001"


@dataclass(frozen=True)
class Contract:
    registry: str
    path: str
    call: Callable[[Any], object]
    adapter: Callable[[Any], object]
    request_body: dict[str, Any]
    match_data: dict[str, Any]
    expected: object


CONTRACTS = [
    Contract("dukcapil", "/penduduk/verify",
             lambda a: a.verify_identity(NIK, name="Siti Rahmawati",
                                         birth_date=date(1990, 3, 12)),
             HttpDukcapil,
             {"nik": NIK, "name": "Siti Rahmawati", "birth_date": "1990-03-12"},
             {"checked": ["name", "birth_date"]},
             PopulationMatch(("name", "birth_date"))),
    Contract("oss", "/businesses/verify",
             lambda a: a.verify_business("9120001234561", "012345674073000", NIK),
             HttpOss,
             {"nib": "9120001234561", "npwp": "012345674073000", "responsible_nik": NIK},
             {"nib": "9120001234561", "npwp": "012345674073000",
              "name": "PT NUSANTARA DIGITAL NIAGA"},
             Business("9120001234561", "012345674073000", "PT NUSANTARA DIGITAL NIAGA")),
    Contract("ksei", "/investors/search",
             lambda a: a.find_investor("nik", NIK),
             HttpKsei,
             {"nik": NIK},
             {"sid": "IDD120390482615", "investor_type": "ID", "name": "SITI RAHMAWATI",
              "domestic": True, "broker_email": "siti.rahmawati@example.com"},
             Investor("IDD120390482615", "ID", "SITI RAHMAWATI", True,
                      "siti.rahmawati@example.com")),
    Contract("bkn", "/pegawai/verify",
             lambda a: a.verify_civil_servant("198003152005011003", NIK),
             HttpBkn,
             {"nip": "198003152005011003", "nik": NIK},
             {"nip": "198003152005011003", "name": "AGUS WIJAYA",
              "instansi": "Badan Siber dan Sandi Negara",
              "unit_organisasi": "Balai Besar Sertifikasi Elektronik",
              "jabatan": "Pranata Komputer Ahli Muda"},
             CivilServant("198003152005011003", "AGUS WIJAYA", "Badan Siber dan Sandi Negara",
                          "Balai Besar Sertifikasi Elektronik", "Pranata Komputer Ahli Muda")),
    Contract("sipp", "/personel/verify",
             lambda a: a.verify_officer("92080457", NIK),
             HttpSipp,
             {"nrp": "92080457", "nik": NIK},
             {"nrp": "92080457", "name": "ANDI FIRMANSYAH", "pangkat": "Inspektur Polisi Satu",
              "satuan": "Polda Sulawesi Selatan"},
             PoliceOfficer("92080457", "ANDI FIRMANSYAH", "Inspektur Polisi Satu",
                           "Polda Sulawesi Selatan")),
]
IDS = [c.registry for c in CONTRACTS]


def _url(contract: Contract) -> str:
    return f"{BASE}/{contract.registry}{contract.path}"


def _adapter(contract: Contract, make_client: ClientFactory) -> Any:
    return contract.adapter(make_client(contract.registry))


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
def test_b2_i1_a2_b3_match_carries_the_registry_data(
        contract: Contract, make_client: ClientFactory, rsps: responses.RequestsMock) -> None:
    rsps.post(_url(contract), status=200, json={"result": "match", "data": contract.match_data},
              match=[matchers.json_params_matcher(contract.request_body)])
    assert contract.call(_adapter(contract, make_client)) == Match(contract.expected)


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
def test_x3_identifiers_travel_in_the_body_never_the_url(
        contract: Contract, make_client: ClientFactory, rsps: responses.RequestsMock) -> None:
    rsps.post(_url(contract), status=404, json={"result": "not_found"})
    contract.call(_adapter(contract, make_client))
    sent = rsps.calls[0].request
    assert NIK not in sent.url
    assert sent.headers["X-Correlation-ID"]


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
def test_no_match_names_the_fields(
        contract: Contract, make_client: ClientFactory, rsps: responses.RequestsMock) -> None:
    rsps.post(_url(contract), status=200, json={"result": "no_match", "mismatched": ["nik"]})
    assert contract.call(_adapter(contract, make_client)) == NoMatch(("nik",))


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
def test_not_found(contract: Contract, make_client: ClientFactory,
                   rsps: responses.RequestsMock) -> None:
    rsps.post(_url(contract), status=404, json={"result": "not_found"})
    assert contract.call(_adapter(contract, make_client)) == NotFound()


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
@pytest.mark.parametrize("error", [requests.ReadTimeout, requests.ConnectTimeout])
def test_timeout_is_unavailable(contract: Contract, error: type[Exception],
                                make_client: ClientFactory,
                                rsps: responses.RequestsMock) -> None:
    rsps.post(_url(contract), body=error("slow"))
    assert contract.call(_adapter(contract, make_client)) == Unavailable(contract.registry,
                                                                         "timeout")


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
def test_refused_connection_is_unavailable(contract: Contract, make_client: ClientFactory,
                                           rsps: responses.RequestsMock) -> None:
    rsps.post(_url(contract), body=requests.ConnectionError("refused"))
    result = contract.call(_adapter(contract, make_client))
    assert result == Unavailable(contract.registry, "connection:ConnectionError")


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
@pytest.mark.parametrize("status", [500, 502, 503, 429, 400])
def test_error_status_is_unavailable(contract: Contract, status: int,
                                     make_client: ClientFactory,
                                     rsps: responses.RequestsMock) -> None:
    rsps.post(_url(contract), status=status, json={"error": "boom"})
    result = contract.call(_adapter(contract, make_client))
    assert result == Unavailable(contract.registry, f"http_{status}")


MALFORMED = {
    "not json": (200, "<html>oops</html>"),
    "truncated json": (200, '{"result": "match", "data": {'),
    "json list": (200, "[]"),
    "unknown result": (200, '{"result": "maybe"}'),
    "match without data": (200, '{"result": "match"}'),
    "data missing a field": (200, '{"result": "match", "data": {}}'),
    "field of the wrong type": (200, '{"result": "no_match", "mismatched": [1]}'),
    # A bare 404 is a wrong base URL, not a missing person.
    "404 without contract body": (404, "<h1>Not Found</h1>"),
    "not_found with 200": (200, '{"result": "not_found"}'),
}


@pytest.mark.parametrize("contract", CONTRACTS, ids=IDS)
@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_body_is_unavailable(contract: Contract, case: str,
                                       make_client: ClientFactory,
                                       rsps: responses.RequestsMock) -> None:
    status, body = MALFORMED[case]
    rsps.post(_url(contract), status=status, body=body, content_type="application/json")
    result = contract.call(_adapter(contract, make_client))
    assert result == Unavailable(contract.registry, "malformed_body")


def test_a2_ksei_lookup_by_nik_finds_sid(make_client: ClientFactory,
                                         rsps: responses.RequestsMock) -> None:
    contract = CONTRACTS[2]
    rsps.post(_url(contract), json={"result": "match", "data": contract.match_data})
    result = HttpKsei(make_client("ksei")).find_investor("nik", NIK)
    assert isinstance(result, Match) and result.data.sid == "IDD120390482615"


def test_a3_ksei_lookup_by_passport_finds_foreign_sid(make_client: ClientFactory,
                                                     rsps: responses.RequestsMock) -> None:
    data = {"sid": "IDF140786301552", "investor_type": "ID", "name": "KENJI WATANABE",
            "domestic": False, "broker_email": "kenji.watanabe@example.org"}
    rsps.post(f"{BASE}/ksei/investors/search", json={"result": "match", "data": data},
              match=[matchers.json_params_matcher({"passport": "TR5839201"})])
    result = HttpKsei(make_client("ksei")).find_investor("passport", "TR5839201")
    assert isinstance(result, Match) and result.data.domestic is False


def test_a4_ksei_lookup_by_sid_finds_institution(make_client: ClientFactory,
                                                rsps: responses.RequestsMock) -> None:
    data = {"sid": "CPD010315774201", "investor_type": "CP",
            "name": "PT DANA SEJAHTERA INVESTAMA", "domestic": True,
            "broker_email": "keuangan@danasejahtera.example.com"}
    rsps.post(f"{BASE}/ksei/investors/search", json={"result": "match", "data": data},
              match=[matchers.json_params_matcher({"sid": "CPD010315774201"})])
    found = HttpKsei(make_client("ksei")).find_investor("sid", "CPD010315774201")
    assert compare_investor(found, email="KEUANGAN@danasejahtera.example.com",
                            name="pt  dana sejahtera investama") == found


def test_a2_ksei_broker_email_differs_is_no_match(make_client: ClientFactory,
                                                  rsps: responses.RequestsMock) -> None:
    contract = CONTRACTS[2]
    rsps.post(_url(contract), json={"result": "match", "data": contract.match_data})
    found = HttpKsei(make_client("ksei")).find_investor("nik", NIK)
    assert compare_investor(found, email="siti@example.net") == NoMatch(("email",))


def test_a7_ksei_unknown_key_is_a_caller_bug(make_client: ClientFactory) -> None:
    with pytest.raises(ValueError, match="one of"):
        HttpKsei(make_client("ksei")).find_investor("email", "x@example.com")  # type: ignore[arg-type]


def test_i1_oss_nib_npwp_nik_mismatch(make_client: ClientFactory,
                                      rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/oss/businesses/verify", status=200,
              json={"result": "no_match", "mismatched": ["npwp", "responsible_nik"]})
    result = HttpOss(make_client("oss")).verify_business("9120001234561", "024681355017000", NIK)
    assert result == NoMatch(("npwp", "responsible_nik"))


def test_b3_bkn_nip_not_found(make_client: ClientFactory, rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/bkn/pegawai/verify", status=404, json={"result": "not_found"})
    assert HttpBkn(make_client("bkn")).verify_civil_servant("199001012015011001",
                                                            NIK) == NotFound()


def test_b3_sipp_nrp_of_someone_else_is_no_match(make_client: ClientFactory,
                                                 rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/sipp/personel/verify", json={"result": "no_match", "mismatched": ["nik"]})
    assert HttpSipp(make_client("sipp")).verify_officer("92080457", NIK) == NoMatch(("nik",))


def test_o2_dukcapil_birth_date_only(make_client: ClientFactory,
                                     rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/dukcapil/penduduk/verify",
              json={"result": "match", "data": {"checked": ["birth_date"]}},
              match=[matchers.json_params_matcher({"nik": NIK, "birth_date": "1990-03-12"})])
    result = HttpDukcapil(make_client("dukcapil")).verify_identity(
        NIK, birth_date=date(1990, 3, 12))
    assert result == Match(PopulationMatch(("birth_date",)))


def test_b2_dukcapil_needs_something_to_compare(make_client: ClientFactory) -> None:
    with pytest.raises(ValueError, match="name, a birth date"):
        HttpDukcapil(make_client("dukcapil")).verify_identity(NIK)


@pytest.mark.parametrize(("score", "expected"), [
    (0.93, Match(FaceScore(0.93))),
    (0.8, Match(FaceScore(0.8))),
    (0.21, NoMatch(("face",))),
])
def test_b4_face_score_is_judged_against_the_threshold(score: float, expected: object,
                                                       make_client: ClientFactory,
                                                       rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/dukcapil/face-match", json={"result": "scored", "data": {"score": score}},
              match=[matchers.json_params_matcher({"nik": NIK, "selfie": "anBlZw=="})])
    assert HttpDukcapil(make_client("dukcapil")).compare_face(NIK, b"jpeg") == expected


@pytest.mark.parametrize(("status", "body", "expected"), [
    (404, '{"result": "not_found"}', NotFound()),
    (200, '{"result": "scored", "data": {"score": 1.7}}',
     Unavailable("dukcapil", "malformed_body")),
    (200, '{"result": "scored", "data": {"score": true}}',
     Unavailable("dukcapil", "malformed_body")),
    (200, '{"result": "match", "data": {"score": 0.9}}',
     Unavailable("dukcapil", "malformed_body")),
    (503, "{}", Unavailable("dukcapil", "http_503")),
])
def test_b4_face_match_other_answers(status: int, body: str, expected: object,
                                     make_client: ClientFactory,
                                     rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/dukcapil/face-match", status=status, body=body)
    assert HttpDukcapil(make_client("dukcapil")).compare_face(NIK, b"jpeg") == expected


def test_b4_face_match_is_never_cached(make_client: ClientFactory,
                                       rsps: responses.RequestsMock) -> None:
    rsps.post(f"{BASE}/dukcapil/face-match", json={"result": "scored", "data": {"score": 0.9}})
    dukcapil = HttpDukcapil(make_client("dukcapil"))
    dukcapil.compare_face(NIK, b"jpeg")
    dukcapil.compare_face(NIK, b"jpeg")
    assert len(rsps.calls) == 2


def test_b4_empty_selfie_is_a_caller_bug(make_client: ClientFactory) -> None:
    with pytest.raises(ValueError, match="empty selfie"):
        HttpDukcapil(make_client("dukcapil")).compare_face(NIK, b"")
