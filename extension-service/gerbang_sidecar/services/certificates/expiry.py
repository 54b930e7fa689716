"""Issue 12 item 10: the scheduled job (a chore of the outbox process, hourly) that marks
certificates Expired after their validity and mails an H-30 reminder that links to renewal
(B20), once per certificate."""

from __future__ import annotations

from gerbang_sidecar.domain.certificates.profiles import RENEWAL_WINDOW
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.storage import Store
from gerbang_sidecar.services.bsre.invitations import BsreSettings

OUTBOX_EXPIRING = "bsre.certificate_expiring"


class CertificateExpiry:
    def __init__(self, store: Store, clock: Clock, settings: BsreSettings) -> None:
        self._store = store
        self._clock = clock
        self.settings = settings

    def run(self) -> dict[str, int]:
        now = self._clock()
        realm = self.settings.realm
        with self._store.transaction() as tx:
            expired = tx.certificates.expire_due(now=now)
            for row in expired:
                tx.audit.record(realm=realm, occurred_at=now, subject_id=row.user_id,
                                event_type="bsre.certificate.expired",
                                details={"serial_number": row.serial_number})
            reminded = tx.certificates.take_reminders(now=now,
                                                      window_start=now + RENEWAL_WINDOW)
            for row in reminded:
                tx.outbox.enqueue(
                    kind=OUTBOX_EXPIRING, now=now,
                    idempotency_key=f"bsre_certificate_expiring:{row.serial_number}",
                    payload={"realm": realm, "user_id": row.user_id,
                             "serial_number": row.serial_number,
                             "not_after": row.not_after.isoformat(),
                             "url": f"{self.settings.portal_url}/sertifikat"})
        return {"expired": len(expired), "reminded": len(reminded)}
