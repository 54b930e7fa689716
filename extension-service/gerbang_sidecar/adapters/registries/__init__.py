"""Adapters for the government registries and the message gateway.

Each module holds one outside system: a ``Protocol``, its HTTP implementation and an
in-memory twin. :func:`init_app` builds the HTTP ones from the app's settings.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from flask import Flask

from gerbang_sidecar.adapters.registries.bkn import Bkn, HttpBkn
from gerbang_sidecar.adapters.registries.dukcapil import Dukcapil, HttpDukcapil
from gerbang_sidecar.adapters.registries.ksei import HttpKsei, Ksei
from gerbang_sidecar.adapters.registries.message_gateway import (
    HttpMessageGateway,
    MessageGateway,
)
from gerbang_sidecar.adapters.registries.oss import HttpOss, Oss
from gerbang_sidecar.adapters.registries.sipp import HttpSipp, Sipp
from gerbang_sidecar.adapters.registries.transport import HttpPolicy, RegistryClient
from gerbang_sidecar.config import Settings
from gerbang_sidecar.web.health import register_probe

EXTENSION_KEY = "gerbang_registries"


@dataclass(frozen=True)
class Registries:
    dukcapil: Dukcapil
    oss: Oss
    ksei: Ksei
    bkn: Bkn
    sipp: Sipp
    message_gateway: MessageGateway

    def by_name(self) -> dict[str, Dukcapil | Oss | Ksei | Bkn | Sipp | MessageGateway]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def build_registries(settings: Settings, policy: HttpPolicy | None = None) -> Registries:
    """HTTP adapters for the URLs in ``settings`` (DUKCAPIL_URL, OSS_URL…)."""
    policy = policy or HttpPolicy.from_timeout(settings.registry_timeout_seconds)
    urls = settings.registries

    def client(name: str, url: str, *, retry_posts: bool = True) -> RegistryClient:
        return RegistryClient.build(name, url, policy, retry_posts=retry_posts)

    return Registries(
        dukcapil=HttpDukcapil(client("dukcapil", urls.dukcapil)),
        oss=HttpOss(client("oss", urls.oss)),
        ksei=HttpKsei(client("ksei", urls.ksei)),
        bkn=HttpBkn(client("bkn", urls.bkn)),
        sipp=HttpSipp(client("sipp", urls.sipp)),
        message_gateway=HttpMessageGateway(
            client("message_gateway", urls.message_gateway, retry_posts=False)),
    )


def init_app(app: Flask) -> None:
    registries = build_registries(app.config["GERBANG"])
    app.extensions[EXTENSION_KEY] = registries
    for name, adapter in registries.by_name().items():
        register_probe(app, name, adapter.is_reachable)


def get_registries(app: Flask) -> Registries:
    return app.extensions[EXTENSION_KEY]


__all__ = [
    "Bkn",
    "Dukcapil",
    "HttpPolicy",
    "Ksei",
    "MessageGateway",
    "Oss",
    "Registries",
    "Sipp",
    "build_registries",
    "get_registries",
    "init_app",
]
