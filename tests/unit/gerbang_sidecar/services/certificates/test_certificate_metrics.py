"""Issue 11 item 5: certificate operations are counted where they are audited (here a
revocation; issuance, renewal, signing and wrong passphrases count the same way)."""

from __future__ import annotations

from datetime import timedelta

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.metrics.memory import RecordingMetrics
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.services.bsre.invitations import BsreSettings
from gerbang_sidecar.services.certificates.revocation import (
    CertificateRevocation,
    NotRevocable,
    Revoked,
)
from support.clock import FakeClock

HOLDER = "6f1c2a9e-4b1d-4c57-9a57-0c2bd7a6e1f0"


def test_a_revocation_is_counted_once_and_a_refusal_not_at_all(storage: Storage,
                                                                clock: FakeClock) -> None:
    with storage.transaction() as tx:
        row = tx.certificates.add_certificate(
            realm="bsre", user_id=HOLDER, serial_number="1A2B3C", product="esign",
            status="issued", enroll_method="web", note="",
            not_before=clock(), not_after=clock() + timedelta(days=365),
            certificate=b"der", pkcs12=b"p12", created_at=clock())
        certificate_id = row.id
    metrics = RecordingMetrics()
    revocation = CertificateRevocation(storage, FakeKeycloakUsers(), clock,
                                       BsreSettings(public_url="https://sidecar.test"),
                                       metrics=metrics)
    assert isinstance(revocation.by_holder(HOLDER, certificate_id, "key_compromise"), Revoked)
    assert isinstance(revocation.by_holder(HOLDER, certificate_id, "key_compromise"),
                      NotRevocable)
    assert metrics.events == [("certificate_operation", {"operation": "revoked"})]
