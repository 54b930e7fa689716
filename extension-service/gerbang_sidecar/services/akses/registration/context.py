"""What every AKSes registration use case shares: its settings, its ports, the token lookup."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from gerbang_sidecar.domain.akses.lifecycle import PENDING
from gerbang_sidecar.domain.throttle import TooEarly, too_early
from gerbang_sidecar.domain.tokens import plausible, token_hash
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.registries import Dukcapil, Ksei
from gerbang_sidecar.ports.storage import AksesRegistrationRecord, Store


class InvestorRegistries(Protocol):
    """The two registries registration needs; ``Registries`` and the fakes both fit."""

    @property
    def dukcapil(self) -> Dukcapil: ...

    @property
    def ksei(self) -> Ksei: ...


@dataclass(frozen=True)
class RegistrationSettings:
    public_url: str  # SIDECAR_PUBLIC_URL: Beranda lives under it
    realm: str = "akses"
    client_id: str = "akses-portal"
    beranda_path: str = "/akses/beranda"
    resend_after: timedelta = timedelta(minutes=15)  # C2
    # Unconfirmed registrations hold personal data; a day is plenty to click "Aktivasi".
    pending_lifetime: timedelta = timedelta(hours=24)
    # A claim older than this belongs to a process that died mid-activation.
    activation_claim_timeout: timedelta = timedelta(minutes=5)
    action_link_lifespan: timedelta = timedelta(hours=12)

    @property
    def beranda_url(self) -> str:
        return self.public_url.rstrip("/") + self.beranda_path


@dataclass(frozen=True)
class Context:
    store: Store
    keycloak: KeycloakUsers
    registries: InvestorRegistries
    clock: Clock
    settings: RegistrationSettings
    # Lookups that run while another one is answered (the duplicate search of "Selanjutnya").
    lookups: Executor

    def find(self, token: str) -> AksesRegistrationRecord | None:
        """The registration behind a page's token; a pending one only within its lifetime."""
        if not plausible(token):
            return None
        with self.store.transaction() as tx:
            row = tx.akses_registrations.by_token_hash(token_hash(token))
        if row is None:
            return None
        if row.status == PENDING and \
                row.created_at <= self.clock() - self.settings.pending_lifetime:
            return None
        return row

    def resend_available_at(self, sent_at: datetime | None) -> datetime:
        return self.clock() if sent_at is None else sent_at + self.settings.resend_after

    def resend_wait(self, sent_at: datetime | None, now: datetime) -> TooEarly | None:
        return None if sent_at is None else too_early(sent_at + self.settings.resend_after, now)
