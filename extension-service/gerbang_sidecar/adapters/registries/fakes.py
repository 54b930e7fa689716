"""The in-memory registry twins, loaded with the seeded people of the fake registries.

The same seed file feeds the fake registry server (fake_registry/), so unit tests, the HTTP
contract tests and the local stack all know the same people (docs/registries.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

from gerbang_sidecar.adapters.registries.bkn import FakeBkn, RegisteredCivilServant
from gerbang_sidecar.adapters.registries.dukcapil import FakeDukcapil, Resident
from gerbang_sidecar.adapters.registries.ksei import FakeKsei, RegisteredInvestor
from gerbang_sidecar.adapters.registries.message_gateway import FakeMessageGateway
from gerbang_sidecar.adapters.registries.oss import FakeOss, RegisteredBusiness
from gerbang_sidecar.adapters.registries.sipp import FakeSipp, RegisteredOfficer
from gerbang_sidecar.domain.registry_results import (
    Business,
    CivilServant,
    Investor,
    PoliceOfficer,
)
from gerbang_sidecar.ports.registries import Registries

DEFAULT_SEED = Path(__file__).resolve().parents[2] / "fake_registry" / "seed.json"

# How the fake server misbehaves when a request body carries a marked value.
Fault = Literal["hang", "error", "malformed"]
FAULTS: tuple[Fault, ...] = ("hang", "error", "malformed")


@dataclass(frozen=True)
class FakeRegistries:
    """The in-memory twins, loaded with the same people the fake server serves."""

    dukcapil: FakeDukcapil
    oss: FakeOss
    ksei: FakeKsei
    bkn: FakeBkn
    sipp: FakeSipp
    message_gateway: FakeMessageGateway
    faults: Mapping[str, Fault]

    def registries(self) -> Registries:
        """The twins as the bundle services take."""
        return Registries(dukcapil=self.dukcapil, oss=self.oss, ksei=self.ksei, bkn=self.bkn,
                          sipp=self.sipp, message_gateway=self.message_gateway)


def load_seed(path: str | Path | None = None) -> dict[str, Any]:
    with open(path or DEFAULT_SEED, encoding="utf-8") as handle:
        return cast(dict[str, Any], json.load(handle))


def build_fake_registries(seed_path: str | Path | None = None) -> FakeRegistries:
    seed = load_seed(seed_path)
    faults = seed.get("faults", {})
    unknown = set(faults.values()) - set(FAULTS)
    if unknown:
        raise ValueError(f"unknown faults in seed: {sorted(unknown)}")
    return FakeRegistries(
        dukcapil=FakeDukcapil(
            Resident(r["nik"], r["name"], date.fromisoformat(r["birth_date"]), r["face_score"])
            for r in seed["residents"]
        ),
        oss=FakeOss(
            RegisteredBusiness(Business(b["nib"], b["npwp"], b["name"]), b["responsible_nik"])
            for b in seed["businesses"]
        ),
        ksei=FakeKsei(
            RegisteredInvestor(
                Investor(i["sid"], i["investor_type"], i["name"], i["domestic"],
                         i["broker_email"]),
                nik=i.get("nik"), passport=i.get("passport"),
            )
            for i in seed["investors"]
        ),
        bkn=FakeBkn(
            RegisteredCivilServant(
                CivilServant(s["nip"], s["name"], s["instansi"], s["unit_organisasi"],
                             s["jabatan"]),
                s["nik"],
            )
            for s in seed["civil_servants"]
        ),
        sipp=FakeSipp(
            RegisteredOfficer(PoliceOfficer(o["nrp"], o["name"], o["pangkat"], o["satuan"]),
                              o["nik"])
            for o in seed["police_officers"]
        ),
        message_gateway=FakeMessageGateway(),
        faults=faults,
    )
