"""Structured JSON logs that never carry a personal identifier (X3).

Log records pass through :class:`RedactingFilter`, which masks anything shaped like a NIK,
NPWP, NIB, SID, passport, phone number or email address, whatever the caller put in the
message. Callers should still log ids of our own rows, never identifiers.

Each line carries the request id of the request or outbox delivery that wrote it
(``request_id``, from :class:`RequestIdFilter`), the same id the sidecar sends to Keycloak
and the registries as ``X-Request-ID`` (issue 11 item 5).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from gerbang_sidecar.domain.redaction import redact
from gerbang_sidecar.request_ids import current_request_id


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id (None outside requests and
    deliveries). Request ids are checked on the way in: they never hold an identifier."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


_HANDLER_NAME = "gerbang-json"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is now, not the one present when the app was created
    (a test runner or a reloader swaps it; the old one may be closed by then)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(level: str) -> None:
    """One redacting JSON handler on the root logger, so library logs (werkzeug's access log,
    urllib3's retries) are redacted too; installed once however many apps are created."""
    install_root_handler()
    logging.getLogger("gerbang_sidecar").setLevel(level)


def install_root_handler() -> None:
    root = logging.getLogger()
    if not any(h.get_name() == _HANDLER_NAME for h in root.handlers):
        handler = _StderrHandler()
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RedactingFilter())
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
