"""B2, A6, A7: a code or link says how long it still works when the message goes out -- an
outage that held it in the outbox must not leave it promising the whole quarter hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.mail import FakeMailer
from gerbang_sidecar.adapters.registries.message_gateway import FakeMessageGateway
from gerbang_sidecar.services.notifications import Notifications
from gerbang_sidecar.services.outbox_worker import Delivery

QUEUED = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _code(kind: str, channel: str, destination: str) -> Delivery:
    return Delivery(message_id=1, kind=kind, idempotency_key="k", attempt=3, payload={
        "channel": channel, "destination": destination, "code": "482913", "purpose": "b2",
        "realm": "bsre", "locale": "id", "ttl_minutes": 15,
        "expires_at": (QUEUED + timedelta(minutes=15)).isoformat()})


def test_b2_a6_a_delayed_code_states_the_minutes_it_has_left() -> None:
    mailer, gateway = FakeMailer(), FakeMessageGateway()
    late = Notifications(mailer, gateway, FakeKeycloakUsers(),
                         clock=lambda: QUEUED + timedelta(minutes=11, seconds=30))
    late.one_time_code_whatsapp(_code("one_time_code.whatsapp", "whatsapp", "+6281234567890"))
    late.one_time_code_email(_code("one_time_code.email", "email", "asn@bssn.go.id"))
    [message] = gateway.messages_to("+6281234567890")
    assert "4 menit" in message.text and "15 menit" not in message.text
    assert "4 menit" in mailer.to("asn@bssn.go.id")[0].text
    on_time = Notifications(mailer, gateway, FakeKeycloakUsers(), clock=lambda: QUEUED)
    on_time.one_time_code_email(_code("one_time_code.email", "email", "tepat@bssn.go.id"))
    assert "15 menit" in mailer.to("tepat@bssn.go.id")[0].text
