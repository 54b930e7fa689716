"""Helpers for the forgot-password (A7) and legacy-member (A6) journeys."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from gerbang_ops.mailsink import MailSinkClient
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi

OLD_PASSWORD = "Lama#Sandi2024"
NEW_PASSWORD = "Baru#Sandi2025"


@dataclass(frozen=True)
class Member:
    id: str
    username: str
    email: str
    name: str
    nik: str
    sid: str
    phone: str


def unique_nik() -> str:
    # Jakarta Pusat 317101, a woman born 12-03-1990 (day + 40), a random sequence number.
    return f"317101520390{secrets.randbelow(9000) + 1000}"


def unique_sid() -> str:
    return f"IDD{secrets.randbelow(10**12):012d}"


def unique_phone() -> str:
    return f"+62812{secrets.randbelow(10**8):08d}"


@pytest.fixture
def make_member(admin_api: KeycloakApi, provisioned: list[RealmSpec]) -> Callable[..., Member]:
    """An active AKSes account with NIK, SID and a mobile number, unique per call."""

    def make(*, phone_verified: bool = False) -> Member:
        email = f"lupa.{uuid.uuid4().hex[:10]}@example.com"
        member = Member("", email, email, "Sari Pemulihan", unique_nik(), unique_sid(),
                        unique_phone())
        admin_api.post("/akses/users", {
            "username": email, "email": email, "emailVerified": True, "enabled": True,
            "firstName": member.name,
            "attributes": {"nik": [member.nik], "sid": [member.sid],
                           "phoneNumber": [member.phone],
                           "phoneNumberVerified": ["true" if phone_verified else "false"]},
            "credentials": [{"type": "password", "value": OLD_PASSWORD, "temporary": False}],
        })
        user = admin_api.get("/akses/users", username=email, exact="true")[0]
        return Member(user["id"], *[getattr(member, f) for f in
                                    ("username", "email", "name", "nik", "sid", "phone")])

    return make


def wait_for_subject(mailbox: MailSinkClient, to: str, subjects: tuple[str, ...],
                     timeout: float = 15.0) -> dict:
    """The newest mail to ``to`` whose subject contains any of ``subjects``."""
    deadline = time.monotonic() + timeout
    while True:
        for summary in mailbox.messages(to=to):
            if any(s.casefold() in summary["subject"].casefold() for s in subjects):
                return mailbox.message(summary["id"])
        if time.monotonic() > deadline:
            seen = [m["subject"] for m in mailbox.messages(to=to)]
            raise AssertionError(f"no mail with {subjects} to {to}; got {seen}")
        time.sleep(0.2)
