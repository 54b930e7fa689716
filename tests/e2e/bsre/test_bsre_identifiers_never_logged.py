"""X3 for BSrE: a civil servant's NIK, mobile number and email go through the Verifikator's
invitation, the activation wizard (WhatsApp code, Data Kedinasan, a selfie), the account's
"[BSrE] Perbarui Akun Anda" mail and a "Permohonan OTP" -- and none of them appears, in any
encoding, in the logs of the sidecar, its outbox thread, the fake registries or Keycloak."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import Page, expect

from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from support.gateway import whatsapp_code

from ..test_identifiers_never_logged import encodings, phone_forms, stack_log  # noqa: F401
from .conftest import BSSN, FACE, Officer, log_in

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]

FITRI = {"name": "Fitri Handayani", "nik": "3171015605930029",
         "email": "fitri.handayani@bssn.go.id", "phone": "081377001029"}


def test_x3_bsre_identifiers_reach_no_log(
        page: Page, keycloak, sidecar_server: str, provisioned: list[RealmSpec],
        mailbox: MailSinkClient, fake_registry_url: str, verifier: Officer,
        stack_log: io.StringIO) -> None:  # noqa: F811
    keycloak_log_start = keycloak.log_path.stat().st_size
    page.goto(f"{sidecar_server}/bsre/verifikator")
    log_in(page, verifier.username, "Verif#Sandi2025", verifier.app)
    page.click("#invite")
    for field in ("name", "nik", "email"):
        page.fill(f"#{field}", FITRI[field])
    page.click("#send")
    expect(page.locator("#state")).to_have_text("Tautan terkirim")
    mail = mailbox.wait_for(FITRI["email"], subject_contains="Aktivasi Akun", timeout=20)

    page.goto(mailbox.links(mail, containing="/bsre/aktivasi/t/")[0])
    page.fill("#phone", FITRI["phone"])
    page.click("#send-code")
    page.fill("#code", whatsapp_code(fake_registry_url, "+6281377001029"))
    page.click("#verify-code")
    page.click("#next")
    page.check("#status-1")
    for field, value in (("unit_organisasi", "Biro Umum"), ("jabatan", "Analis Data"),
                         ("provinsi", "DKI Jakarta")):
        page.fill(f"#{field}", value)
    page.click("#next")
    page.set_input_files("#photo", str(FACE))
    page.click("#save-photo")
    expect(page.locator("#photo-saved")).to_be_visible()
    page.check("#consent_data")
    page.check("#consent_privacy")
    page.click("#submit")
    expect(page.locator("#done")).to_be_visible()

    page.goto(f"{sidecar_server}/bsre/verifikator?status=in_review")
    page.locator("#users a", has_text="Fitri Handayani").first.click()
    page.click("#approve")
    mailbox.wait_for(FITRI["email"], subject_contains="[BSrE] Perbarui Akun Anda", timeout=30)

    page.goto(f"{sidecar_server}/bsre/permohonan-otp")
    for field, value in (("name", FITRI["name"]), ("instansi", BSSN),
                         ("phone", FITRI["phone"]), ("nik", FITRI["nik"])):
        page.fill(f"#{field}", value)
    page.click("#send")
    mailbox.wait_for(FITRI["email"], subject_contains="Pengecekan Data Diri", timeout=20)

    with keycloak.log_path.open("rb") as log:
        log.seek(keycloak_log_start)
        keycloak_log = log.read().decode("utf-8", "replace")
    logs = {"sidecar, outbox and fake registries": stack_log.getvalue(),
            "keycloak": keycloak_log}
    assert "bsre activation" in logs["sidecar, outbox and fake registries"]
    secrets = encodings(FITRI["nik"]) | encodings(FITRI["email"])
    for form in phone_forms(FITRI["phone"]):
        secrets |= encodings(form)
    found = {(where, secret) for where, text in logs.items() for secret in secrets
             if secret in text}
    assert not found, sorted(found)
