"""X6, X7: the chore (outbox process, every few hours) that gives the OCSP responder and the
time-stamping authority new keys when domain/certificates/service_keys.py says it is time, and
writes each renewal to the audit trail (X4) -- serial number and validity, never a key."""

from __future__ import annotations

from gerbang_sidecar.ports.ca import ServiceKeyRenewal
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.storage import Store

AUDIT_EVENT = "ca.service_key.renewed"


class ServiceKeys:
    def __init__(self, authority: ServiceKeyRenewal, store: Store, clock: Clock,
                 realm: str) -> None:
        self._authority = authority
        self._store = store
        self._clock = clock
        self._realm = realm

    def run(self) -> dict[str, str]:
        """What was renewed, for the chore's log line: service -> new serial number."""
        now = self._clock()
        renewed = self._authority.renew_service_keys(now=now)
        if renewed:
            with self._store.transaction() as tx:
                for key in renewed:
                    tx.audit.record(realm=self._realm, occurred_at=now,
                                    event_type=AUDIT_EVENT,
                                    details={"service": str(key.service),
                                             "serial_number": f"{key.serial_number:X}",
                                             "not_after": key.not_after.isoformat()})
        return {str(key.service): f"{key.serial_number:X}" for key in renewed}
