"""OSS (business licensing): does the NIB belong to this NPWP and responsible person (I1)?"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gerbang_sidecar.adapters.registries.fake_base import FakeRegistry
from gerbang_sidecar.adapters.registries.transport import RegistryClient, field, lookup_parser
from gerbang_sidecar.domain.registry_results import (
    Business,
    Match,
    NoMatch,
    NotFound,
    RegistryResult,
)


def _business(data: Mapping[str, Any]) -> Business:
    return Business(nib=field(data, "nib", str), npwp=field(data, "npwp", str),
                    name=field(data, "name", str))


class HttpOss:
    def __init__(self, client: RegistryClient) -> None:
        self._client = client

    def verify_business(self, nib: str, npwp: str,
                        responsible_nik: str) -> RegistryResult[Business]:
        body = {"nib": nib, "npwp": npwp, "responsible_nik": responsible_nik}
        return self._client.post("verify_business", "/businesses/verify", body,
                                 lookup_parser(_business), cacheable=True)

    def is_reachable(self) -> bool:
        return self._client.is_reachable()


@dataclass(frozen=True)
class RegisteredBusiness:
    business: Business
    responsible_nik: str


def npwp_key(npwp: str) -> str:
    """Since 2024 an organisation's 16-digit NPWP is its 15-digit one behind a 0; OSS
    records either form, so both must compare equal."""
    digits = "".join(c for c in npwp if c.isdigit())
    return digits[1:] if len(digits) == 16 and digits.startswith("0") else digits


class FakeOss(FakeRegistry):
    registry = "oss"

    def __init__(self, businesses: Iterable[RegisteredBusiness] = ()) -> None:
        super().__init__()
        self.businesses = {b.business.nib: b for b in businesses}

    def verify_business(self, nib: str, npwp: str,
                        responsible_nik: str) -> RegistryResult[Business]:
        if down := self._outage():
            return down
        record = self.businesses.get(nib)
        if record is None:
            return NotFound()
        mismatched = []
        if npwp_key(npwp) != npwp_key(record.business.npwp):
            mismatched.append("npwp")
        if responsible_nik != record.responsible_nik:
            mismatched.append("responsible_nik")
        return NoMatch(tuple(mismatched)) if mismatched else Match(record.business)
