"""WhatsApp/SMS gateway for one-time codes and links (B2, B6, A7).

Sending is not idempotent on the wire, so its session never retries a request that may
have reached the gateway; callers that retry (the outbox worker) pass an idempotency key
the gateway uses to drop duplicates.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gerbang_sidecar.adapters.registries.fake_base import FakeRegistry
from gerbang_sidecar.adapters.registries.transport import MalformedReply, RegistryClient, field
from gerbang_sidecar.domain.registry_results import Accepted, SendResult
from gerbang_sidecar.ports.registries import CHANNELS, Channel

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _check_channel(channel: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}")


def _parse_send(status: int, payload: Mapping[str, Any]) -> SendResult:
    # 202 is the contract; a gateway that says 200 or 201 has sent it too, and calling that
    # an outage would send the code again.
    if status in (200, 201, 202) and field(payload, "result", str) == "accepted":
        return Accepted(field(field(payload, "data", dict), "message_id", str))
    raise MalformedReply(f"unexpected answer with status {status}")


class HttpMessageGateway:
    def __init__(self, client: RegistryClient) -> None:
        self._client = client

    def send(self, channel: Channel, to: str, text: str, *,
             idempotency_key: str | None = None) -> SendResult:
        _check_channel(channel)
        headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else None
        return self._client.post("send", "/messages",
                                 {"channel": channel, "to": to, "text": text},
                                 _parse_send, headers=headers)

    def is_reachable(self) -> bool:
        return self._client.is_reachable()


@dataclass(frozen=True)
class SentMessage:
    message_id: str
    channel: Channel
    to: str
    text: str
    sent_at: datetime


class FakeMessageGateway(FakeRegistry):
    """Keeps what it was asked to send, so tests and the local stack can read the codes."""

    registry = "message_gateway"

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[SentMessage] = []
        self._by_key: dict[str, str] = {}
        self._ids = itertools.count(1)
        # The fake registry server answers from several threads.
        self._lock = threading.Lock()

    def send(self, channel: Channel, to: str, text: str, *,
             idempotency_key: str | None = None) -> SendResult:
        _check_channel(channel)
        if down := self._outage():
            return down
        with self._lock:
            if idempotency_key is not None and idempotency_key in self._by_key:
                return Accepted(self._by_key[idempotency_key])
            message = SentMessage(f"msg-{next(self._ids):06d}", channel, to, text,
                                  datetime.now(UTC))
            self.sent.append(message)
            if idempotency_key is not None:
                self._by_key[idempotency_key] = message.message_id
        return Accepted(message.message_id)

    def messages_to(self, to: str) -> list[SentMessage]:
        """Messages for a number, newest first; ``+`` and spaces don't matter."""
        wanted = _digits(to)
        with self._lock:
            return [m for m in reversed(self.sent) if _digits(m.to) == wanted]


def _digits(number: str) -> str:
    return "".join(c for c in number if c.isdigit())
