"""Adapters for the government registries and the message gateway.

Each module holds one outside system: its HTTP implementation and an in-memory twin
(``fakes.py`` loads the twins with the seeded people). The interfaces are in
``ports/registries.py``.
"""

from __future__ import annotations

from gerbang_sidecar.adapters.registries.bkn import HttpBkn
from gerbang_sidecar.adapters.registries.dukcapil import HttpDukcapil
from gerbang_sidecar.adapters.registries.ksei import HttpKsei
from gerbang_sidecar.adapters.registries.message_gateway import HttpMessageGateway
from gerbang_sidecar.adapters.registries.oss import HttpOss
from gerbang_sidecar.adapters.registries.sipp import HttpSipp
from gerbang_sidecar.adapters.registries.transport import HttpPolicy, RegistryClient
from gerbang_sidecar.ports.metrics import NO_METRICS, Metrics
from gerbang_sidecar.ports.registries import Registries


def build_http_registries(urls: dict[str, str], policy: HttpPolicy,
                          metrics: Metrics = NO_METRICS) -> Registries:
    """HTTP adapters for the base URL of each registry (DUKCAPIL_URL, OSS_URL…)."""

    def client(name: str, *, retry_posts: bool = True) -> RegistryClient:
        return RegistryClient.build(name, urls[name], policy, retry_posts=retry_posts,
                                    metrics=metrics)

    return Registries(
        dukcapil=HttpDukcapil(client("dukcapil")),
        oss=HttpOss(client("oss")),
        ksei=HttpKsei(client("ksei")),
        bkn=HttpBkn(client("bkn")),
        sipp=HttpSipp(client("sipp")),
        # Sending is not idempotent on the wire: the gateway's session never retries a POST.
        message_gateway=HttpMessageGateway(client("message_gateway", retry_posts=False)),
    )
