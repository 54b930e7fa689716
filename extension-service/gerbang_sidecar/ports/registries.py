"""The government registries and the message gateway, as services ask them.

Every lookup answers with one of the four ``RegistryResult`` outcomes and never raises for
registry trouble: an outage is ``Unavailable``, never "not found" (domain/registry_results.py).
Implementations: adapters/registries (HTTP, with retries, breaker and cache) and their
in-memory twins.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Literal, Protocol

from gerbang_sidecar.domain.registry_results import (
    Business,
    CivilServant,
    FaceScore,
    Investor,
    PoliceOfficer,
    PopulationMatch,
    RegistryResult,
    SendResult,
)

InvestorKey = Literal["nik", "passport", "sid"]
INVESTOR_KEYS: tuple[InvestorKey, ...] = ("nik", "passport", "sid")
Channel = Literal["whatsapp", "sms"]
CHANNELS: tuple[Channel, ...] = ("whatsapp", "sms")


class Reachable(Protocol):
    def is_reachable(self) -> bool:
        """The registry's health endpoint answers (for the health page)."""
        ...


class Dukcapil(Reachable, Protocol):
    def verify_identity(self, nik: str, *, name: str | None = None,
                        birth_date: date | None = None) -> RegistryResult[PopulationMatch]:
        """Does the population record of ``nik`` carry this name and/or birth date (B2, O2)?"""
        ...

    def compare_face(self, nik: str, selfie: bytes) -> RegistryResult[FaceScore]:
        """Compare a selfie with the registered photo; the verdict uses the face threshold."""
        ...


class Oss(Reachable, Protocol):
    def verify_business(self, nib: str, npwp: str,
                        responsible_nik: str) -> RegistryResult[Business]:
        """Match when NIB, NPWP and the Penanggung Jawab's NIK agree with OSS (I1)."""
        ...


class Ksei(Reachable, Protocol):
    def find_investor(self, by: InvestorKey, value: str) -> RegistryResult[Investor]:
        """The investor holding this NIK, passport number or SID."""
        ...


class Bkn(Reachable, Protocol):
    def verify_civil_servant(self, nip: str, nik: str) -> RegistryResult[CivilServant]: ...


class Sipp(Reachable, Protocol):
    def verify_officer(self, nrp: str, nik: str) -> RegistryResult[PoliceOfficer]: ...


class MessageGateway(Reachable, Protocol):
    def send(self, channel: Channel, to: str, text: str, *,
             idempotency_key: str | None = None) -> SendResult:
        """Hand a message for ``to`` (E.164) to the gateway; Accepted is not delivered."""
        ...


@dataclass(frozen=True)
class Registries:
    """One of each, as the composition root built them."""

    dukcapil: Dukcapil
    oss: Oss
    ksei: Ksei
    bkn: Bkn
    sipp: Sipp
    message_gateway: MessageGateway

    def by_name(self) -> dict[str, Reachable]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
