"""What every AKSes registration use case shares: its settings, its ports, the token lookup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from gerbang_sidecar.domain.registration_lifecycle import PENDING
from gerbang_sidecar.domain.throttle import TooEarly, too_early
from gerbang_sidecar.domain.tokens import plausible, token_hash
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.registries import Dukcapil, Ksei
from gerbang_sidecar.ports.storage import RegistrationRecord, Store
from gerbang_sidecar.services.identity_index import IdentityIndex


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
    portal_path: str = "akses"  # the portal client's path (portals.py)
    resend_after: timedelta = timedelta(minutes=15)  # C2
    # Unconfirmed registrations hold personal data; a day is plenty to click "Aktivasi".
    pending_lifetime: timedelta = timedelta(hours=24)
    action_link_lifespan: timedelta = timedelta(hours=12)

    @property
    def portal_url(self) -> str:
        """The portal's home page: login, registration, forgot password."""
        return f"{self.public_url.rstrip('/')}/{self.portal_path}"

    @property
    def beranda_url(self) -> str:
        return f"{self.portal_url}/beranda"


@dataclass(frozen=True)
class Context:
    store: Store
    keycloak: KeycloakUsers
    registries: InvestorRegistries
    clock: Clock
    settings: RegistrationSettings
    index: IdentityIndex

    def find(self, token: str) -> RegistrationRecord | None:
        """The registration behind a page's token; a pending one only within its lifetime."""
        if not plausible(token):
            return None
        with self.store.transaction() as tx:
            row = tx.registrations.by_token_hash(token_hash(token))
        if row is None or row.realm != self.settings.realm:
            return None
        if row.status == PENDING and \
                row.created_at <= self.clock() - self.settings.pending_lifetime:
            return None
        return row

    def resend_available_at(self, row: RegistrationRecord) -> datetime:
        """C2: 15 minutes after the last activation email, or after "Aktivasi" until the
        first one is queued."""
        last = row.activation_email_sent_at or row.claimed_at
        return self.clock() if last is None else last + self.settings.resend_after

    def resend_wait(self, row: RegistrationRecord, now: datetime) -> TooEarly | None:
        last = row.activation_email_sent_at or row.claimed_at
        return None if last is None else too_early(last + self.settings.resend_after, now)


def name_of(row: RegistrationRecord) -> str:
    """The name the thank-you page greets: kept alone once the identifiers are gone."""
    data = row.data
    return str(data["name"] if "name" in data else data["data"]["name"])
