"""A6 in a real browser: a member imported from the previous AKSes version logs in with the
old User ID and password, must register an email proven by a 5-digit code, then reaches
Beranda; Keycloak then holds the verified email and no ``legacy-member`` role."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid

import pytest
from playwright.sync_api import Page, expect

from gerbang_ops.import_legacy_members import Importer, parse_row
from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.keycloak_api import KeycloakApi

from .conftest import OLD_PASSWORD, unique_nik

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]


def old_hash(password: str) -> str:
    salt = secrets.token_bytes(16)
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 27500, 32)
    return f"pbkdf2-sha256$27500${base64.b64encode(salt).decode()}$" \
           f"{base64.b64encode(derived).decode()}"


def test_a6_legacy_member_must_register_email(page: Page, sidecar_server: str,
                                              admin_api: KeycloakApi, provisioned,
                                              mailbox: MailSinkClient, screenshots) -> None:
    user_id = f"Lama{uuid.uuid4().hex[:8]}"
    email = f"lama.{uuid.uuid4().hex[:8]}@example.com"
    row = {"user_id": user_id, "name": "Bambang Lama", "nik": unique_nik(), "sid": "",
           "password_hash": old_hash(OLD_PASSWORD)}
    parse_row(row)  # the same checks as the CSV import
    assert Importer(admin_api, "akses", out=lambda _l: None).run([row]).imported == 1

    page.goto(f"{sidecar_server}/akses/beranda")
    expect(page.locator("#kc-form-login")).to_be_visible()
    page.fill("#username", user_id)
    page.fill("#password", OLD_PASSWORD)
    screenshots.take(page, "masuk dengan user id lama")
    page.locator("#kc-login").click()
    expect(page.locator("#email-form")).to_be_visible()
    assert page.url.startswith(f"{sidecar_server}/akses/daftarkan-email")
    screenshots.take(page, "daftarkan email")

    page.fill("#e-email", email)
    page.click("#send-code")
    expect(page.locator("#code-form")).to_be_visible()
    expect(page.locator("#code-sent-to")).to_contain_text("@example.com")
    screenshots.take(page, "kode otp terkirim")
    mail = mailbox.wait_for(email, subject_contains="Kode OTP", timeout=20)
    code = re.search(r"\b(\d{5})\b", mail["text"]).group(1)

    page.fill("#c-code", "00000" if code != "00000" else "11111")
    page.click("#verify")
    expect(page.locator("#c-code-error")).to_contain_text("Sisa percobaan: 4")
    # "Kirim ulang OTP" is refused before 15 minutes (C2).
    page.click("#resend-code")
    expect(page.locator("#e-email-error")).to_contain_text("menit")

    page.fill("#c-code", code)
    screenshots.take(page, "verifikasi")
    page.click("#verify")
    expect(page.locator("#welcome")).to_contain_text("Bambang Lama")
    assert page.url.startswith(f"{sidecar_server}/akses/beranda")
    screenshots.take(page, "beranda")

    user = admin_api.get("/akses/users", username=user_id.lower(), exact="true")[0]
    assert user["email"] == email and user["emailVerified"] is True
    roles = {r["name"] for r in admin_api.get(f"/akses/users/{user['id']}/role-mappings/realm")}
    assert "legacy-member" not in roles
