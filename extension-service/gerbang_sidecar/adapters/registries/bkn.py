"""BKN (civil service agency): does this NIP belong to this NIK, and where does it serve (B3)?"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gerbang_sidecar.adapters.registries.fake_base import FakeRegistry
from gerbang_sidecar.adapters.registries.transport import RegistryClient, field, lookup_parser
from gerbang_sidecar.domain.registry_results import (
    CivilServant,
    Match,
    NoMatch,
    NotFound,
    RegistryResult,
)


def _civil_servant(data: Mapping[str, Any]) -> CivilServant:
    return CivilServant(
        nip=field(data, "nip", str),
        name=field(data, "name", str),
        instansi=field(data, "instansi", str),
        unit_organisasi=field(data, "unit_organisasi", str),
        jabatan=field(data, "jabatan", str),
    )


class HttpBkn:
    def __init__(self, client: RegistryClient) -> None:
        self._client = client

    def verify_civil_servant(self, nip: str, nik: str) -> RegistryResult[CivilServant]:
        return self._client.post("verify_civil_servant", "/pegawai/verify",
                                 {"nip": nip, "nik": nik}, lookup_parser(_civil_servant),
                                 cacheable=True)

    def is_reachable(self) -> bool:
        return self._client.is_reachable()


@dataclass(frozen=True)
class RegisteredCivilServant:
    servant: CivilServant
    nik: str


class FakeBkn(FakeRegistry):
    registry = "bkn"

    def __init__(self, servants: Iterable[RegisteredCivilServant] = ()) -> None:
        super().__init__()
        self.servants = {s.servant.nip: s for s in servants}

    def verify_civil_servant(self, nip: str, nik: str) -> RegistryResult[CivilServant]:
        if down := self._outage():
            return down
        record = self.servants.get(nip)
        if record is None:
            return NotFound()
        return Match(record.servant) if record.nik == nik else NoMatch(("nik",))
