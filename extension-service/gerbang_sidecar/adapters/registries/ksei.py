"""KSEI (securities depository): investors by NIK, passport or SID (A1–A4, A7).

Lookups only find; whether the registrant's email and name agree with what the broker
registered is decided by :func:`~gerbang_sidecar.domain.registry_results.compare_investor`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gerbang_sidecar.adapters.registries.fake_base import FakeRegistry
from gerbang_sidecar.adapters.registries.transport import RegistryClient, field, lookup_parser
from gerbang_sidecar.domain.registry_results import (
    Investor,
    Match,
    NotFound,
    RegistryResult,
)
from gerbang_sidecar.ports.registries import INVESTOR_KEYS, InvestorKey


def _investor(data: Mapping[str, Any]) -> Investor:
    return Investor(
        sid=field(data, "sid", str),
        investor_type=field(data, "investor_type", str),
        name=field(data, "name", str),
        domestic=field(data, "domestic", bool),
        broker_email=field(data, "broker_email", str),
    )


def _check_key(by: str) -> None:
    if by not in INVESTOR_KEYS:
        raise ValueError(f"investors are found by one of {INVESTOR_KEYS}")


class HttpKsei:
    def __init__(self, client: RegistryClient) -> None:
        self._client = client

    def find_investor(self, by: InvestorKey, value: str) -> RegistryResult[Investor]:
        _check_key(by)
        return self._client.post("find_investor", "/investors/search", {by: value},
                                 lookup_parser(_investor), cacheable=True)

    def is_reachable(self) -> bool:
        return self._client.is_reachable()


@dataclass(frozen=True)
class RegisteredInvestor:
    investor: Investor
    nik: str | None = None
    passport: str | None = None


class FakeKsei(FakeRegistry):
    registry = "ksei"

    def __init__(self, investors: Iterable[RegisteredInvestor] = ()) -> None:
        super().__init__()
        self._index: dict[tuple[str, str], Investor] = {}
        for record in investors:
            self._index["sid", record.investor.sid.upper()] = record.investor
            if record.nik:
                self._index["nik", record.nik] = record.investor
            if record.passport:
                self._index["passport", record.passport.upper()] = record.investor

    def find_investor(self, by: InvestorKey, value: str) -> RegistryResult[Investor]:
        _check_key(by)
        if down := self._outage():
            return down
        found = self._index.get((by, value.strip().upper()))
        return NotFound() if found is None else Match(found)
