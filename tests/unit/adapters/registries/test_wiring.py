"""build_registries / init_app: adapters from settings, one health probe per registry."""

from __future__ import annotations

import responses
from flask import Flask

from gerbang_sidecar.adapters.registries import (
    EXTENSION_KEY,
    build_registries,
    get_registries,
    init_app,
)
from gerbang_sidecar.config import RegistryUrls, Settings
from gerbang_sidecar.web import health

URLS = RegistryUrls(**{name: f"http://{name}.test/api" for name in
                       ("dukcapil", "oss", "ksei", "bkn", "sipp", "message_gateway")})


def test_build_registries_uses_each_url(rsps: responses.RequestsMock) -> None:
    registries = build_registries(Settings(registries=URLS))
    rsps.get("http://ksei.test/api/health", status=200)
    assert registries.ksei.is_reachable()
    assert set(registries.by_name()) == {"dukcapil", "oss", "ksei", "bkn", "sipp",
                                         "message_gateway"}


def test_init_app_registers_probes(rsps: responses.RequestsMock) -> None:
    app = Flask(__name__)
    app.config["GERBANG"] = Settings(registries=URLS, registry_timeout_seconds=0.5)
    health.init_app(app)
    init_app(app)
    assert get_registries(app) is app.extensions[EXTENSION_KEY]
    for name in ("dukcapil", "oss", "ksei", "bkn", "sipp"):
        rsps.get(f"http://{name}.test/api/health", status=200)
    rsps.get("http://message_gateway.test/api/health", status=503)
    body = app.test_client().get("/health").get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["message_gateway"] == "down"
    assert body["checks"]["dukcapil"] == "up"
