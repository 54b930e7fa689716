"""X4, X6, X7: the chore that renews the responder's and the TSA's keys writes each renewal
to the audit trail -- which service, the new serial number and validity, no key -- and is on
the outbox process's list, also run by ``ca-init``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.adapters.storage.models import AuditEvent
from gerbang_sidecar.domain.certificates.service_keys import ServiceKey
from gerbang_sidecar.ports.ca import RenewedServiceKey
from gerbang_sidecar.services.certificates.service_keys import AUDIT_EVENT, ServiceKeys
from support.clock import FakeClock

NOW = datetime(2027, 3, 1, tzinfo=UTC)


class Authority:
    def __init__(self, renewed: list[RenewedServiceKey]) -> None:
        self.renewed = renewed
        self.asked: list[datetime] = []

    def renew_service_keys(self, *, now: datetime) -> list[RenewedServiceKey]:
        self.asked.append(now)
        renewed, self.renewed = self.renewed, []
        return renewed


def _events(storage: Storage) -> list[AuditEvent]:
    with storage.session_factory() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == AUDIT_EVENT)))


def test_x4_each_renewal_is_audited_without_key_material(storage: Storage) -> None:
    until = NOW + timedelta(days=730)
    authority = Authority([RenewedServiceKey(ServiceKey.OCSP_RESPONDER, 0xABC, until)])
    chore = ServiceKeys(authority, storage, FakeClock(NOW), "bsre")
    assert chore.run() == {"ocsp_responder": "ABC"}
    assert authority.asked == [NOW]
    [event] = _events(storage)
    assert (event.realm, event.actor, event.occurred_at.replace(tzinfo=UTC)) == (
        "bsre", None, NOW)
    assert event.details == {"service": "ocsp_responder", "serial_number": "ABC",
                             "not_after": until.isoformat()}
    assert chore.run() == {}  # nothing due: nothing written, nothing for the log
    assert len(_events(storage)) == 1

