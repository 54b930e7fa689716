"""Polri SIPP (police personnel system): does this NRP belong to this NIK (B3)?"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gerbang_sidecar.adapters.registries.fake_base import FakeRegistry
from gerbang_sidecar.adapters.registries.transport import RegistryClient, field, lookup_parser
from gerbang_sidecar.domain.registry_results import (
    Match,
    NoMatch,
    NotFound,
    PoliceOfficer,
    RegistryResult,
)


def _officer(data: Mapping[str, Any]) -> PoliceOfficer:
    return PoliceOfficer(nrp=field(data, "nrp", str), name=field(data, "name", str),
                         pangkat=field(data, "pangkat", str), satuan=field(data, "satuan", str))


class HttpSipp:
    def __init__(self, client: RegistryClient) -> None:
        self._client = client

    def verify_officer(self, nrp: str, nik: str) -> RegistryResult[PoliceOfficer]:
        return self._client.post("verify_officer", "/personel/verify",
                                 {"nrp": nrp, "nik": nik}, lookup_parser(_officer),
                                 cacheable=True)

    def is_reachable(self) -> bool:
        return self._client.is_reachable()


@dataclass(frozen=True)
class RegisteredOfficer:
    officer: PoliceOfficer
    nik: str


class FakeSipp(FakeRegistry):
    registry = "sipp"

    def __init__(self, officers: Iterable[RegisteredOfficer] = ()) -> None:
        super().__init__()
        self.officers = {o.officer.nrp: o for o in officers}

    def verify_officer(self, nrp: str, nik: str) -> RegistryResult[PoliceOfficer]:
        if down := self._outage():
            return down
        record = self.officers.get(nrp)
        if record is None:
            return NotFound()
        return Match(record.officer) if record.nik == nik else NoMatch(("nik",))
