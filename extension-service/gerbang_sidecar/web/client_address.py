"""The client's address and scheme as a reverse proxy reports them -- only from proxies we
trust (``TRUSTED_PROXIES``, a list of networks).

``X-Forwarded-For`` is a list anyone can start: a client may send its own header and the
proxy appends the real address. So the list is read from the right, skipping the trusted
proxies, and the first address that is not one of them is the client (when all are, the
rightmost). A request whose own peer is not a trusted proxy keeps its peer address and its
headers are ignored.
``X-Forwarded-Proto`` and ``-Host`` count only from a trusted peer too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 192.168.1.10"`` -> networks; ValueError on anything else."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False)
                 for part in spec.replace(";", ",").split(",") if part.strip())


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in networks)


class TrustedProxies:
    """WSGI middleware; with no networks configured it changes nothing."""

    def __init__(self, app: Any, networks: tuple[Network, ...]) -> None:
        self.app = app
        self.networks = networks

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        peer = environ.get("REMOTE_ADDR", "")
        if self.networks and _trusted(peer, self.networks):
            hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")
                    if h.strip()]
            # Every hop trusted (a client inside the proxies' own networks): the one the
            # nearest proxy wrote, never the leftmost, which the client may have written.
            client = next((h for h in reversed(hops) if not _trusted(h, self.networks)),
                          hops[-1] if hops else peer)
            environ["REMOTE_ADDR"] = client
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
            host = environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[-1].strip()
            if host:
                environ["HTTP_HOST"] = host
        return self.app(environ, start_response)
