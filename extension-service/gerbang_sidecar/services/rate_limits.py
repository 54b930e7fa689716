"""Rate limits for public forms (X2): fixed windows, per client, per identifier and overall.

Three kinds of bucket share one mechanism: per client (an IPv4 address, or an IPv6 /64 --
one subscriber's whole prefix, since a device picks new addresses inside it at will), per
identifier typed (a NIK, SID or email, normalised, whoever sends it: carrier-grade NAT users
share addresses, an attacker rotates them), and per form overall (a ceiling that keeps a
distributed probe from flooding the registries).

Counted in the sidecar's database (``RateLimitCounters``) so every gunicorn worker and every
host shares one count; an in-memory counter would let each worker allow the full limit. The
bucket is an HMAC of scope and address under the app's secret, so the table holds no IP
address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from gerbang_sidecar.ports.storage import Store

# Windows older than this are deleted as new ones open; no limit may use a longer window.
MAX_WINDOW_SECONDS = 24 * 3600


EVERYONE = "*"


# An IPv6 site gets a /48 and may hand a different /64 to every request: beside each /64,
# the /48 counts too, with room for this many /64 clients at their own limit.
CLIENTS_PER_SITE = 16


def site_key(address: str) -> str | None:
    """The IPv6 /48 a client's /64 belongs to; None for IPv4 (one address is one client)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if not isinstance(ip, ipaddress.IPv6Address) or ip.ipv4_mapped is not None:
        return None
    return "site:" + str(ipaddress.ip_network(f"{ip}/48", strict=False))


def client_key(address: str) -> str:
    """The client a limit counts: the IPv4 address, the IPv6 /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "-"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def identifier_key(value: str) -> str:
    """One identifier however it is typed: case, spaces, dots and dashes do not count, nor do
    full-width or other compatibility forms of its characters -- the forms read them as the
    plain ones (NFKC), so a limit counting them apart was a limit per spelling."""
    plain = unicodedata.normalize("NFKC", value)
    return "id:" + re.sub(r"[\s.\-]", "", plain).casefold()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    hits: int
    retry_after: int  # seconds until the window resets (0 when allowed)
    window_start: int = 0  # the window counted in (to give a reservation back to it)


class RateLimiter:
    def __init__(self, store: Store, secret: str, clock: Callable[[], float] = time.time):
        self._store = store
        self._secret = secret.encode()
        self._clock = clock

    def bucket(self, scope: str, client: str) -> str:
        return hmac.new(self._secret, f"{scope}\0{client}".encode(), hashlib.sha256).hexdigest()

    def hit(self, scope: str, client: str, limit: int, window_seconds: int, *,
            cost: int = 1, window_start: int | None = None) -> Decision:
        """Count ``cost`` (a request, or seconds of work; negative gives back) of ``client``
        on ``scope`` in the current window, or in ``window_start``'s; refused beyond
        ``limit`` per window."""
        if not 0 < window_seconds <= MAX_WINDOW_SECONDS:
            raise ValueError("window must be between 1 second and a day")
        now = int(self._clock())
        if window_start is None:
            window_start = now - now % window_seconds
        with self._store.transaction() as tx:
            hits = tx.rate_limits.hit(bucket=self.bucket(scope, client),
                                      window_start=window_start,
                                      forget_before=now - MAX_WINDOW_SECONDS, by=cost)
        allowed = hits <= limit
        return Decision(allowed, hits,
                        0 if allowed else max(0, window_start + window_seconds - now),
                        window_start)
