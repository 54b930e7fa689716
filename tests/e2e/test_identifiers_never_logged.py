"""X3, issue 8 item 6: a person's NIK, passport, phone and email go through every AKSes journey
-- registration, a declined second registration, forgot password by NIK and by email, a
failed and a good login, Beranda -- and none of them appears, in any encoding, in any log the
stack writes: the sidecar's and its outbox worker's (as production formats them), the fake
registries', and Keycloak's.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest
from playwright.sync_api import Page, expect

from gerbang_ops.mailsink import MailSinkClient
from gerbang_sidecar.logging_setup import JsonFormatter, RedactingFilter
from support.akses_steps import (
    STRONG_PASSWORD,
    Applicant,
    Shots,
    activation_link,
    finish_on_keycloak,
    register,
)
from support.oidc_login import BrowserLogin

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

# docs/registries.md, "log test".
LARAS = Applicant("individu-lokal", "Laras Kusuma", "3171016108950018", "081355500031",
                  "laras.kusuma@example.com")
OLIVIA = Applicant("individu-asing", "Olivia Bennett", "K4M8Q2705", "+4915112345033",
                   "olivia.bennett@example.co.uk")


def encodings(value: str) -> set[str]:
    """The forms an identifier takes in URLs, form bodies and JSON."""
    forms = {value, value.lower(), value.upper(), quote(value, safe=""), quote_plus(value),
             json.dumps(value)[1:-1],
             "".join(f"\\u{ord(c):04x}" if not c.isalnum() else c for c in value)}
    return {f for f in forms if len(f) >= 6}


def phone_forms(national: str) -> set[str]:
    digits = national.lstrip("0")
    return {national, f"62{digits}", f"+62{digits}", digits}


@pytest.fixture
def stack_log() -> Iterator[io.StringIO]:
    """Everything the processes in this test run log, formatted and redacted as production's
    handler does (the sidecar, its outbox thread, the fake registries)."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # the most a log level could ever let through
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _request_reset(page: Page, sidecar: str, identifier: str) -> None:
    page.goto(f"{sidecar}/akses/lupa-kata-sandi")
    page.fill("#identifier", identifier)
    page.click("#next")
    expect(page.locator("#choose-channel")).to_be_visible()
    page.check("#channel-0")
    page.click("#process")
    expect(page.locator("#sent-text")).to_be_visible()


def test_x3_no_identifier_reaches_any_log(page: Page, sidecar_server: str, keycloak,
                                         mailbox: MailSinkClient,
                                         stack_log: io.StringIO) -> None:
    keycloak_log_start = keycloak.log_path.stat().st_size
    # Registration, the account, the activation link and the password (A1-A5).
    register(page, sidecar_server, LARAS, Shots(None), expected_sid=None)
    finish_on_keycloak(page, activation_link(mailbox, LARAS.email), Shots(None))
    register(page, sidecar_server, OLIVIA, Shots(None), expected_sid="IDF220893517604")
    # Her NIK again with another address and phone: declined, she is told (X1).
    register(page, sidecar_server, Applicant(LARAS.kind, LARAS.name, LARAS.identifier,
                                             "081355500032", "laras.lain@example.com"),
             Shots(None), expected_sid=None)
    mailbox.wait_for(LARAS.email, subject_contains="Percobaan pendaftaran", timeout=20)
    # Forgot password by NIK and by email (A7).
    for identifier in (LARAS.identifier, LARAS.email):
        _request_reset(page, sidecar_server, identifier)
    # Keycloak's login: a wrong password typed with the email, then with the NIK as the
    # username; then the right one, and Beranda.
    for username in (LARAS.email, LARAS.identifier):
        login = BrowserLogin(keycloak.url, "akses", "akses-portal",
                             f"{sidecar_server}/akses/oidc/callback")
        assert login.password(username, "Salah#Sandi2025").code is None
    page.goto(f"{sidecar_server}/akses/beranda")
    page.fill("#username", LARAS.email)
    page.fill("#password", STRONG_PASSWORD)
    page.locator("#kc-login").click()
    expect(page.locator("#welcome")).to_contain_text(LARAS.name)
    # Let the outbox finish what it queued (the resets' mails) before reading the logs.
    mailbox.wait_for(LARAS.email, subject_contains="Tindakan diperlukan", timeout=20)

    with keycloak.log_path.open("rb") as log:
        log.seek(keycloak_log_start)
        keycloak_log = log.read().decode("utf-8", "replace")
    logs = {"sidecar, outbox and fake registries": stack_log.getvalue(),
            "keycloak": keycloak_log}
    assert "akses registration" in logs["sidecar, outbox and fake registries"]
    secrets = set()
    for value in (LARAS.identifier, LARAS.email, OLIVIA.identifier, OLIVIA.email,
                  "laras.lain@example.com"):
        secrets |= encodings(value)
    for phone in ("081355500031", "081355500032"):
        for form in phone_forms(phone):
            secrets |= encodings(form)
    secrets |= encodings("+4915112345033") | encodings("4915112345033")
    found = {(where, secret) for where, text in logs.items() for secret in secrets
             if secret in text}
    assert not found, sorted(found)
