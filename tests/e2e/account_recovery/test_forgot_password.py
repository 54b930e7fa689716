"""A7 forgot password in a real browser against the real Keycloak, sidecar and worker: by NIK
and by SID through Keycloak's action email, by SMS through the sidecar's own page, and the
C4 notification after each change; X1 seen from outside; X9: the reset signs out the
other devices."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import Page, expect

from gerbang_ops.mailsink import MailSinkClient
from support.forms import form
from support.gateway import first_link, wait_for_sms
from support.oidc_login import BrowserLogin

from .conftest import (
    NEW_PASSWORD,
    OLD_PASSWORD,
    Member,
    wait_for_subject,
)

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

ACTION_MAIL = ("Tindakan diperlukan",)
# Keycloak 26 reports the change as UPDATE_CREDENTIAL; older themes say UPDATE_PASSWORD.
KEYCLOAK_NOTICE = ("Pemberitahuan perubahan keamanan akun", "Kata sandi Anda telah diubah")
SIDECAR_NOTICE = ("Kata sandi AKSes KSEI Anda telah diubah",)


def request_reset(page: Page, sidecar: str, identifier: str, channel: str = "email",
                  shots=None) -> None:
    page.goto(f"{sidecar}/akses/lupa-kata-sandi")
    page.fill("#identifier", identifier)
    if shots:
        shots.take(page, "lupa kata sandi")
    page.click("#next")
    expect(page.locator("#choose-channel")).to_be_visible()
    page.check(f"#channel-{0 if channel == 'email' else 1}")
    if shots:
        shots.take(page, "pilih metode")
    page.click("#process")
    expect(page.locator("#sent-text")).to_be_visible()
    if shots:
        shots.take(page, "permintaan diproses")


def can_log_in(keycloak_url: str, sidecar: str, username: str, password: str) -> bool:
    login = BrowserLogin(keycloak_url, "akses", "akses-portal", f"{sidecar}/akses/oidc/callback")
    return login.password(username, password).code is not None


def finish_on_keycloak(page: Page, link: str, shots=None) -> None:
    page.goto(link)
    proceed = page.locator("#kc-info-message a, a:has-text('Klik di sini')")
    if page.locator("#password-new").count() == 0 and proceed.count():
        proceed.first.click()
    expect(page.locator("#password-new")).to_be_visible()
    # X9: no "sign out other devices" box to forget; the page says it happens.
    expect(page.locator("#gb-logout-others")).to_contain_text("perangkat lain")
    assert page.locator("input[type=checkbox][name=logout-sessions]").count() == 0
    page.fill("#password-new", NEW_PASSWORD)
    page.fill("#password-confirm", NEW_PASSWORD)
    if shots:
        shots.take(page, "kata sandi baru keycloak")
    page.locator("input[type=submit], button[type=submit]").first.click()
    expect(page.get_by_text("Akun Anda telah diperbarui.")).to_be_visible()


def test_a7_forgot_password_by_nik(page: Page, sidecar_server: str, keycloak, mailbox:
                                   MailSinkClient, make_member: Callable[..., Member],
                                   screenshots) -> None:
    member = make_member()
    # X9: a device still signed in (say, a thief's) is signed out by the reset.
    other_device = BrowserLogin(keycloak.url, "akses", "akses-portal",
                                f"{sidecar_server}/akses/oidc/callback")
    assert other_device.password(member.username, OLD_PASSWORD).code is not None
    request_reset(page, sidecar_server, member.nik, shots=screenshots)
    mail = mailbox.wait_for(member.email, subject_contains=ACTION_MAIL[0], timeout=20)
    finish_on_keycloak(page, mailbox.links(mail, containing="action-token")[0], screenshots)
    screenshots.take(page, "akun diperbarui")
    assert other_device.open().code is None, "the other device's Keycloak session lives on"
    # C4: Keycloak's email event listener tells the owner.
    notice = wait_for_subject(mailbox, member.email, KEYCLOAK_NOTICE)
    assert "AKSes" in notice["text"]
    # C4: the time in WIB as every other mail says it (Keycloak wrote UTC, "03/12/26 19.49").
    assert re.search(r"pada \d{2}-\d{2}-\d{4} \d{2}:\d{2} WIB", notice["text"]), notice["text"]
    # Back to the application (Beranda): log in with the new password.
    page.get_by_role("link", name="Kembali ke Aplikasi").click()
    page.locator("#kc-form-login, #welcome").first.wait_for()
    if page.locator("#kc-form-login").count():
        page.fill("#username", member.username)
        page.fill("#password", NEW_PASSWORD)
        page.locator("#kc-login").click()
    expect(page.locator("#welcome")).to_contain_text(member.name)
    screenshots.take(page, "beranda")
    assert not can_log_in(keycloak.url, sidecar_server, member.username, OLD_PASSWORD)


def test_a7_forgot_password_by_sid(page: Page, sidecar_server: str, keycloak,
                                   mailbox: MailSinkClient,
                                   make_member: Callable[..., Member]) -> None:
    # SMS chosen but the number is not verified: the link goes by email instead (X1).
    member = make_member(phone_verified=False)
    request_reset(page, sidecar_server, member.sid.lower(), channel="sms")
    mail = mailbox.wait_for(member.email, subject_contains=ACTION_MAIL[0], timeout=20)
    finish_on_keycloak(page, mailbox.links(mail, containing="action-token")[0])
    wait_for_subject(mailbox, member.email, KEYCLOAK_NOTICE)
    assert can_log_in(keycloak.url, sidecar_server, member.username, NEW_PASSWORD)


def test_c4_notification_after_password_change(
        page: Page, sidecar_server: str, keycloak, mailbox: MailSinkClient,
        fake_registry_url: str, make_member: Callable[..., Member], screenshots) -> None:
    """A7 by SMS: the gateway carries the sidecar's link; the password is set through the
    admin API, which raises no user event, so the sidecar sends the C4 mail itself."""
    member = make_member(phone_verified=True)
    request_reset(page, sidecar_server, member.username, channel="sms")
    link = first_link(wait_for_sms(fake_registry_url, member.phone))
    assert link.startswith(f"{sidecar_server}/akses/lupa-kata-sandi/atur/")
    page.goto(link)
    page.fill("#password", "Ab1#x")
    page.fill("#password_confirm", "Ab1#x")
    page.click("#save")
    expect(page.locator("#password-error")).to_contain_text("minimal 8 karakter")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_confirm", NEW_PASSWORD)
    screenshots.take(page, "atur kata sandi sms")
    page.click("#save")
    expect(page.locator("#changed-text")).to_be_visible()
    screenshots.take(page, "kata sandi diubah")
    notice = wait_for_subject(mailbox, member.email, SIDECAR_NOTICE)
    assert "WIB" in notice["text"]
    assert can_log_in(keycloak.url, sidecar_server, member.username, NEW_PASSWORD)
    # Single use: the same link now says it is no longer valid.
    page.goto(link)
    expect(page.get_by_text("Tautan tidak berlaku")).to_be_visible()
    # Exactly one notification: Keycloak sent none of its own for this path.
    subjects = [m["subject"] for m in mailbox.messages(to=member.email)]
    assert not any(s in subject for s in KEYCLOAK_NOTICE for subject in subjects), subjects


def _post_request(sidecar: str, identifier: str) -> requests.Response:
    session = requests.Session()
    page = session.get(f"{sidecar}/akses/lupa-kata-sandi", timeout=10)
    data = {**form(page.text, "forgot-password").fields, "identifier": identifier,
            "channel": "email", "action": "process"}
    return session.post(f"{sidecar}/akses/lupa-kata-sandi", data=data, timeout=10)


def test_x1_unknown_identifier_same_answer(sidecar_server: str,
                                           make_member: Callable[..., Member]) -> None:
    member = make_member()
    known = _post_request(sidecar_server, member.nik)
    unknown = _post_request(sidecar_server, "3171015203909999")
    assert known.status_code == unknown.status_code == 200
    assert [r.status_code for r in known.history] == [r.status_code for r in unknown.history]

    def without_tokens(html: str) -> str:
        return re.sub(r"/terkirim/[^\"/?]+|value=\"[^\"]{40,}\"", "", html)

    assert without_tokens(known.text) == without_tokens(unknown.text)
