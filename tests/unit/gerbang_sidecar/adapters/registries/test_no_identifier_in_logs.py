"""X3: whatever a registry does, our logs carry no NIK, passport, phone, name or email."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import pytest
import requests
import responses

from gerbang_sidecar.adapters.registries.dukcapil import HttpDukcapil
from gerbang_sidecar.adapters.registries.ksei import HttpKsei
from gerbang_sidecar.adapters.registries.message_gateway import HttpMessageGateway
from gerbang_sidecar.adapters.registries.transport import RegistryClient

BASE = "http://registry.test"
ClientFactory = Callable[..., RegistryClient]
NIK = "3171015203900001"
PASSPORT = "TR5839201"
PHONE = "+6281234567890"
NAME = "Siti Rahmawati"
SECRETS = (NIK, PASSPORT, PHONE, NAME, "siti.rahmawati", "Kode 482913")

ANSWERS = [
    {"status": 200, "json": {"result": "match", "data": {"checked": ["name"]}}},
    {"status": 200, "json": {"result": "no_match", "mismatched": ["name"]}},
    {"status": 404, "json": {"result": "not_found"}},
    {"status": 500, "body": f"error for {NIK} {NAME}"},
    {"status": 200, "body": f'{{"result": "match", "nik": "{NIK}"'},
    {"body": requests.ReadTimeout(f"timed out for {NIK}")},
    {"body": requests.ConnectionError(f"refused {BASE}?nik={NIK}")},
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_x3_adapter_never_logs_nik(answer: dict, make_client: ClientFactory,
                                   rsps: responses.RequestsMock,
                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for path in ("/dukcapil/penduduk/verify", "/ksei/investors/search",
                 "/message_gateway/messages"):
        rsps.post(BASE + path, **answer)
    dukcapil = HttpDukcapil(make_client("dukcapil"))
    dukcapil.verify_identity(NIK, name=NAME, birth_date=date(1990, 3, 12))
    HttpKsei(make_client("ksei")).find_investor("passport", PASSPORT)
    HttpMessageGateway(make_client("message_gateway", retry_posts=False)).send(
        "whatsapp", PHONE, "Kode 482913")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "the registry calls were logged at all"
    for secret in SECRETS:
        assert secret not in logged
