"""BSrE browser fixtures: a Verifikator with an OTP device, logging in through Keycloak's
pages, a Chromium whose camera plays a face (for "Ambil Foto"), and a verified civil servant
who gets an eSign certificate through the mailed Set Passphrase link (issue 12)."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pypdf import PdfWriter

from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.keycloak_api import KeycloakApi
from support.otp import otp_credential

from ..conftest import CHROMIUM, CHROMIUM_ARGS, Screenshots

FACE = Path(__file__).resolve().parents[2] / "fixtures" / "faces" / "astronaut.png"
BSSN = "Badan Siber dan Sandi Negara"
PASSWORD = "Verif#Sandi2025"


@dataclass(frozen=True)
class Officer:
    id: str
    username: str
    app: pyotp.TOTP


@pytest.fixture
def verifier(admin_api: KeycloakApi) -> Officer:
    """A Verifikator of BSSN with a password and one OTP device ("HP Dinas")."""
    username = f"verif.{secrets.token_hex(4)}@bssn.go.id"
    credential, app = otp_credential("HP Dinas")
    admin_api.post("/bsre/users", {
        "username": username, "email": username, "emailVerified": True, "enabled": True,
        "firstName": "Verifikator BSSN", "attributes": {"instansi": [BSSN]},
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False},
                        credential]})
    user = admin_api.get("/bsre/users", username=username, exact="true")[0]
    admin_api.post(f"/bsre/users/{user['id']}/role-mappings/realm",
                   [admin_api.get("/bsre/roles/verifikator")])
    return Officer(user["id"], username, app)


def log_in(page: Page, username: str, password: str, app: pyotp.TOTP, *,
           code: str | None = None) -> None:
    """Keycloak's BSrE login (B8): "Username atau Email", password, then the OTP code.
    ``code``: instead of the current one (already used when the device was just set up)."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#kc-login")
    expect(page.locator("#otp")).to_be_visible()
    page.fill("#otp", code or app.now())
    page.click("#kc-login")


@dataclass(frozen=True)
class Holder:
    """A verified civil servant of BSSN, the one the fake Dukcapil knows the face of."""

    email: str
    password: str
    app: pyotp.TOTP
    name: str = "AGUS WIJAYA"


def civil_servant(admin_api: KeycloakApi) -> Holder:
    """A new verified BSrE account of AGUS WIJAYA (any selfie matches his NIK's photo) with a
    password and one OTP device; a fresh email each time, so each test has its own."""
    email = f"penanda.{secrets.token_hex(4)}@bssn.go.id"
    password = "Pegawai#Sandi2025"
    credential, app = otp_credential("HP Dinas")
    admin_api.post("/bsre/users", {
        "username": email, "email": email, "emailVerified": True, "enabled": True,
        "firstName": "Agus Wijaya",
        "attributes": {"instansi": [BSSN], "nik": ["3174041503800005"],
                       "verificationStatus": ["terverifikasi"]},
        "credentials": [{"type": "password", "value": password, "temporary": False},
                        credential]})
    return Holder(email, password, app)


def open_set_passphrase_link(page: Page, mailbox: MailSinkClient, holder: Holder) -> None:
    """The newest "Set Passphrase" mail's link (B17), opened in ``page``: the profile to
    confirm. The mailbox is emptied once the link is read, so the next link (renewal,
    reset) is waited for afresh."""
    mail = mailbox.wait_for(holder.email, subject_contains="Set Passphrase", timeout=20)
    link = mailbox.links(mail, containing="/bsre/set-passphrase/t/")[0]
    mailbox.clear()
    page.goto(link)
    expect(page.locator("#profile")).to_contain_text(holder.name)


def complete_set_passphrase(page: Page, passphrase: str,
                            screenshots: Screenshots | None = None) -> None:
    """The link's other steps: a selfie, the passphrase twice (Submit stays disabled while
    the two differ) and the agreement -> "Sertifikat elektronik diterbitkan"."""
    page.set_input_files("#photo", str(FACE))
    page.click("#save-photo")
    expect(page.locator("#selfie-checked")).to_be_visible()
    page.fill("#passphrase", passphrase)
    page.fill("#passphrase_confirm", passphrase + "x")
    page.check("#agreement")
    expect(page.locator("#submit")).to_be_disabled()  # the entries differ
    page.fill("#passphrase_confirm", passphrase)
    expect(page.locator("#submit")).to_be_enabled()
    if screenshots:
        screenshots.take(page, "set passphrase")
    page.click("#submit")
    expect(page.locator("#issued")).to_be_visible()
    if screenshots:
        screenshots.take(page, "sertifikat diterbitkan")


def set_passphrase(page: Page, mailbox: MailSinkClient, holder: Holder, passphrase: str,
                   screenshots: Screenshots | None = None) -> None:
    """B17: the mailed Set Passphrase link followed to the end."""
    open_set_passphrase_link(page, mailbox, holder)
    complete_set_passphrase(page, passphrase, screenshots)


def issue_certificate(page: Page, mailbox: MailSinkClient, holder: Holder, passphrase: str,
                      screenshots: Screenshots | None = None) -> int:
    """B21 "Permohonan Baru" on the certificates page the holder is logged in to, then
    :func:`set_passphrase`; back on the list, the certificate Issued. Returns its id (the
    list's row ``#certificate-<id>``, its actions ``#renew-<id>``, ``#reset-<id>``…)."""
    page.click("#new-request")
    set_passphrase(page, mailbox, holder, passphrase, screenshots)
    mailbox.wait_for(holder.email, subject_contains="diterbitkan", timeout=20)
    page.click("#to-certificates")
    row = page.locator("#certificates > li").first
    expect(row).to_contain_text("Issued")
    return int(str(row.get_attribute("id")).removeprefix("certificate-"))


def fill_signing_form(page: Page, pdf: Path, passphrase: str) -> None:
    """Fill "Tanda Tangan Dokumen" (the only Issued certificate is chosen)."""
    page.set_input_files("#document", str(pdf))
    page.fill("#passphrase", passphrase)


def download_signed(page: Page, saved_as: Path) -> Path:
    """Send the filled signing form and keep the signed PDF as ``saved_as``."""
    with page.expect_download() as signed:
        page.click("#sign")
    signed.value.save_as(saved_as)
    return saved_as


def verify_document(page: Page, sidecar_server: str, document: Path) -> None:
    """The public verification page, given ``document``."""
    page.goto(f"{sidecar_server}/verifikasi")
    page.set_input_files("#document", str(document))
    page.click("#verify")


def blank_pdf(path: Path) -> Path:
    """A one-page PDF to sign."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())
    return path


def face_video(path: Path) -> Path:
    """The face as a Y4M clip, what Chromium's fake camera plays (4:2:0, a few frames)."""
    image = Image.open(FACE).convert("RGB").resize((640, 480))
    y, cb, cr = image.convert("YCbCr").split()
    half = (image.width // 2, image.height // 2)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{image.width} H{image.height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(5):
            out.write(b"FRAME\n" + frame)
    return path


@pytest.fixture(scope="module")
def camera_browser(browser: Browser,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """A second Chromium from the session's Playwright, its camera fed with the face."""
    video = face_video(tmp_path_factory.mktemp("camera") / "face.y4m")
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"])
    yield camera
    camera.close()


@pytest.fixture
def phone(camera_browser: Browser) -> Iterator[BrowserContext]:
    """The civil servant's phone: Indonesian, phone-sized, a camera that shows a face."""
    context = camera_browser.new_context(locale="id-ID", viewport={"width": 412, "height": 915},
                                         permissions=["camera"])
    context.set_default_timeout(20_000)
    yield context
    context.close()
