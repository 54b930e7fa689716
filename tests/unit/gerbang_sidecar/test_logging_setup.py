"""Logs are JSON and carry no personal identifier, whichever library wrote them (X3)."""

from __future__ import annotations

import json
import logging

import pytest

from gerbang_sidecar.logging_setup import _HANDLER_NAME, configure_logging


def _logged(capsys: pytest.CaptureFixture[str], logger_name: str, message: str,
            *args: object) -> dict[str, str]:
    configure_logging("INFO")
    capsys.readouterr()
    logger = logging.getLogger(logger_name)
    logger.setLevel(logging.INFO)
    logger.info(message, *args)
    return json.loads(capsys.readouterr().err.strip().splitlines()[-1])


def test_x3_library_logs_are_redacted_too(capsys: pytest.CaptureFixture[str]) -> None:
    entry = _logged(capsys, "werkzeug", "GET /cari?nik=%s&hp=%s", "3171015203900001",
                    "+6281234567801")
    assert "3171015203900001" not in entry["message"]
    assert "6281234567801" not in entry["message"]
    assert entry["logger"] == "werkzeug"


def test_x3_sid_and_email_are_masked_in_our_logs(capsys: pytest.CaptureFixture[str]) -> None:
    entry = _logged(capsys, "gerbang_sidecar.test", "found %s for %s", "IDD120390482615",
                    "siti@example.com")
    assert entry["message"] == "found [sid] for [email]"
    assert _logged(capsys, "gerbang_sidecar.test", "sid %s", "IDF1502N4661537")[
        "message"] == "sid [sid]"


def test_handler_is_installed_once() -> None:
    configure_logging("INFO")
    configure_logging("DEBUG")
    ours = [h for h in logging.getLogger().handlers if h.get_name() == _HANDLER_NAME]
    assert len(ours) == 1
