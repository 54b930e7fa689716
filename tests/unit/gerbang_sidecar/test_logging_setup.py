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


@pytest.mark.parametrize("line", [
    # What urllib3 printed when it retried a Keycloak search (issue 8 item 6).
    "Retrying (Retry(total=0)) after connection broken by 'RemoteDisconnected': "
    "/admin/realms/akses/users?email=victim.person%40example.com&exact=true",
    "GET /admin/realms/akses/users?q=passport%3AC01X00T47 HTTP/1.1",
    "GET /admin/realms/akses/users?q=nik:3171015203900001 HTTP/1.1",
    # The same identifiers outside a query string, encoded.
    'refused: {"email": "victim.person\\u0040example.com", "passport": "C01X00T47"}',
    "body email=victim.person%40example.com&phone=%2B6281234567801",
    "passport C7K4P2961 or TR5839201 and NIK 3171015203900001",
])
def test_x3_encoded_identifiers_and_query_strings_never_reach_a_log(
        capsys: pytest.CaptureFixture[str], line: str) -> None:
    message = _logged(capsys, "urllib3.connectionpool", "%s", line)["message"]
    for secret in ("victim.person", "C01X00T47", "C7K4P2961", "TR5839201",
                   "3171015203900001", "6281234567801"):
        assert secret not in message, message


def test_x3_row_ids_and_user_ids_stay_readable(capsys: pytest.CaptureFixture[str]) -> None:
    line = "akses registration 42 activated user 6f1c2a9e-4b1d-4c57-9a57-0c2bd7a6e1f0"
    assert _logged(capsys, "gerbang_sidecar.test", "%s", line)["message"] == line


def test_x3_an_nrp_of_eight_digits_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    assert _logged(capsys, "gerbang_sidecar.test", "nrp %s", "87050123")[
        "message"] == "nrp [number]"


def test_x3_link_tokens_and_identifiers_written_with_other_separators_are_masked(
        capsys: pytest.CaptureFixture[str]) -> None:
    entry = _logged(capsys, "gunicorn.error", "Error handling request %s",
                    "/akses/lupa-password/atur/Zx9-abc_DEF")
    assert entry["message"] == "Error handling request /akses/lupa-password/atur/[token]"
    assert _logged(capsys, "gerbang_sidecar.test", "nik %s or %s", "3171/0152/0390/0001",
                   "3171_0152_0390_0001")["message"] == "nik [number] or [number]"
