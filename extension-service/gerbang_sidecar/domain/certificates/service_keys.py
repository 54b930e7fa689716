"""X6, X7: when the CA's own service keys -- the delegated OCSP responder's and the
time-stamping authority's -- get a new key and certificate. Pure: dates are passed in.

A service key signs for one year (ETSI EN 319 421 7.6.3 keeps a TSA key's usage period short;
the same habit for the responder limits what one leaked key can sign), and never into the
last RENEW_BEFORE of its certificate: a responder whose certificate lapses makes every OCSP
answer unverifiable, so the new one is in place while the old still works. The old
certificate is not revoked: what it signed stays verifiable, its key is dropped (overwritten
in the store).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class ServiceKey(StrEnum):
    OCSP_RESPONDER = "ocsp_responder"
    TIMESTAMPING = "timestamping"


KEY_USAGE_PERIOD = timedelta(days=365)
RENEW_BEFORE = timedelta(days=60)


def renewal_due_at(not_before: datetime, not_after: datetime) -> datetime:
    """When a service certificate valid from ``not_before`` to ``not_after`` is replaced."""
    return min(not_before + KEY_USAGE_PERIOD, not_after - RENEW_BEFORE)


def renewal_due(not_before: datetime, not_after: datetime, now: datetime) -> bool:
    return now >= renewal_due_at(not_before, not_after)
