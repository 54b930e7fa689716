"""A6 / X2: legacy members prove an email with a 5-digit code before Beranda."""

from __future__ import annotations

import pytest

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.ports.keycloak import NewUser
from gerbang_sidecar.services.akses.legacy_members import (
    LEGACY_ROLE,
    EmailTaken,
    LegacyEmailRegistration,
    Registered,
)
from gerbang_sidecar.services.one_time_codes import (
    Locked,
    OneTimeCodeService,
    Sent,
    Wrong,
)


class Codes:
    def __init__(self) -> None:
        self.last = ""

    def __call__(self, policy) -> str:
        self.last = "12345"
        return self.last


@pytest.fixture
def fake() -> FakeKeycloakUsers:
    return FakeKeycloakUsers()


@pytest.fixture
def member(fake: FakeKeycloakUsers) -> str:
    user_id = fake.create_user("akses", NewUser("budi77", None, "Budi Lama", email_verified=True,
                                                attributes={"legacyUserId": "budi77"}))
    fake.grant("akses", user_id, [LEGACY_ROLE])
    return user_id


@pytest.fixture
def service(storage: Storage, fake: FakeKeycloakUsers, clock) -> LegacyEmailRegistration:
    codes = OneTimeCodeService(storage, storage.keys.one_time_code, clock,
                               generate=Codes())
    return LegacyEmailRegistration(codes, fake, storage, clock)


def test_a6_code_registers_email_and_removes_role(service: LegacyEmailRegistration,
                                                  fake: FakeKeycloakUsers, member: str) -> None:
    sent = service.send_code(member, "budi@example.com", "id")
    assert isinstance(sent, Sent)
    pending = service.pending(member)
    assert pending is not None and pending.email_masked.endswith("@example.com")
    assert service.verify(member, "12345") == Registered("budi@example.com")
    user = fake.get_user("akses", member)
    assert (user.email, user.email_verified) == ("budi@example.com", True)
    assert LEGACY_ROLE not in fake.realm_roles_of("akses", user.id)
    assert service.pending(member) is None


def test_a6_resend_after_15_minutes(service: LegacyEmailRegistration, member: str,
                                    clock) -> None:
    service.send_code(member, "budi@example.com", "id")
    early = service.resend(member, "id")
    assert isinstance(early, TooEarly) and early.reason == "resend_after"
    clock.advance(minutes=14, seconds=59)
    assert isinstance(service.resend(member, "id"), TooEarly)
    clock.advance(seconds=1)
    assert isinstance(service.resend(member, "id"), Sent)


def test_a6_resend_needs_a_first_code(service: LegacyEmailRegistration, member: str) -> None:
    assert service.resend(member, "id") is None


def test_x2_five_wrong_codes_lock_the_code(service: LegacyEmailRegistration,
                                           fake: FakeKeycloakUsers, member: str) -> None:
    service.send_code(member, "budi@example.com", "id")
    results = [service.verify(member, "00000") for _ in range(5)]
    assert results[:4] == [Wrong(4), Wrong(3), Wrong(2), Wrong(1)]
    assert results[4] == Locked()
    assert isinstance(service.verify(member, "12345"), Locked)
    assert LEGACY_ROLE in fake.realm_roles_of("akses", member)


def test_a6_x1_email_of_another_account_is_refused_only_to_its_mailbox(
        service: LegacyEmailRegistration, fake: FakeKeycloakUsers, member: str) -> None:
    """X1: "Kirim OTP" answers alike for a taken and a free address; the refusal comes after
    the code, which only the mailbox's reader has."""
    fake.create_user("akses", NewUser("siti@example.com", "siti@example.com", "Siti"))
    taken = service.send_code(member, "siti@example.com", "id")
    assert isinstance(taken, Sent)
    assert service.verify(member, "00000") == Wrong(4)
    assert service.verify(member, "12345") == EmailTaken()
    assert LEGACY_ROLE in fake.realm_roles_of("akses", member)
    assert fake.get_user("akses", member).email is None
