"""BSrE page fixtures: officers of two instansi, an RA, the activation link from the mail,
the WhatsApp code from the gateway's twin, a face photo."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.wiring import Services

BSSN = "Badan Siber dan Sandi Negara"
BALI = "Pemerintah Provinsi Bali"
FACE = Path(__file__).resolve().parents[4] / "fixtures" / "faces" / "astronaut.png"
# Seeded people (docs/registries.md): a civil servant of BSSN, a police officer, a
# "Lainnya" resident, a resident whose selfies never match.
AGUS = {"name": "Agus Wijaya", "nik": "3174041503800005", "email": "agus.wijaya@bssn.go.id",
        "nip": "198003152005011003"}
ANDI = {"name": "Andi Firmansyah", "nik": "7371030908920007", "email": "andi@polri.go.id",
        "nrp": "92080457"}
HENDRA = {"name": "Hendra Gunawan", "nik": "3374023010750008", "email": "hendra@bssn.go.id"}
YULIA = {"name": "Yulia Kartika", "nik": "3201064804950009", "email": "yulia@bssn.go.id"}


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html[:1500]
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, object], **kwargs: object):  # type: ignore[no-untyped-def]
    token = csrf(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def work_outbox(services: Services) -> None:
    worker = services.outbox_worker()
    while worker.run_once().handled:
        pass


def face_jpeg(*, exif: bool = True) -> bytes:
    """The face photo as a phone would send it: a JPEG carrying EXIF with a GPS block."""
    image = Image.open(FACE).convert("RGB")
    out = io.BytesIO()
    extra = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x8825] = {1: "S", 2: (6.0, 10.0, 30.0)}  # GPSInfo
        extra["exif"] = data.tobytes()
    image.save(out, format="JPEG", quality=92, **extra)
    return out.getvalue()


@pytest.fixture
def officer_login(fake_keycloak: FakeKeycloakUsers,
                  log_in: Callable[..., str]) -> Callable[..., str]:
    """Log a client in as a BSrE officer; returns the officer's user id."""

    def log_in_officer(client: FlaskClient, *, instansi: str | None = BSSN,
                       role: str = "verifikator", name: str = "verif") -> str:
        attributes = {"instansi": instansi} if instansi else {}
        user_id = fake_keycloak.create_user("bsre", NewUser(
            username=f"{name}@example.test", email=f"{name}@example.test", first_name=name,
            attributes=attributes))
        log_in(client, sub=user_id, client_id="bsre-portal", roles=(role,))
        return user_id

    return log_in_officer


@pytest.fixture
def verifier(app: Flask, officer_login: Callable[..., str]) -> FlaskClient:
    client = app.test_client()
    officer_login(client)
    return client


@pytest.fixture
def invite(verifier: FlaskClient, services: Services) -> Callable[[dict[str, str]], str]:
    """The verifier registers someone; returns the link of the "Aktivasi Akun" mail."""

    def send(person: dict[str, str]) -> str:
        answer = post_form(verifier, "/bsre/verifikator/daftarkan",
                           {k: person[k] for k in ("name", "nik", "email")})
        assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
        work_outbox(services)
        mails = services.mailer.to(person["email"])  # type: ignore[attr-defined]
        match = re.search(r"https?://\S+/bsre/aktivasi/t/\S+", mails[-1].text)
        assert match
        return match.group(0)

    return send


@pytest.fixture
def whatsapp_code(services: Services) -> Callable[[str], str]:
    def last_code(phone_e164: str) -> str:
        work_outbox(services)
        sent = [m for m in services.registries.message_gateway.sent  # type: ignore[attr-defined]
                if m.to == phone_e164 and m.channel == "whatsapp"]
        match = re.search(r"\b(\d{6})\b", sent[-1].text)
        assert match
        return match.group(1)

    return last_code
