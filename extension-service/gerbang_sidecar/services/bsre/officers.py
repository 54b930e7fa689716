"""Who acts on BSrE users (issue 10 item 1): a Verifikator for the users of their own instansi,
an RA for every instansi. The instansi is the officer's Keycloak profile attribute, read on
each request, so moving a verifier takes effect at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gerbang_sidecar.domain.bsre.accounts import ROLE_RA, ROLE_VERIFIKATOR
from gerbang_sidecar.ports.keycloak import KeycloakUsers


@dataclass(frozen=True)
class Officer:
    user_id: str
    # None: an RA, who sees every instansi.
    instansi: str | None

    @property
    def is_ra(self) -> bool:
        return self.instansi is None

    def may_see(self, scope: str | None) -> bool:
        return self.instansi is None or (scope is not None and scope == self.instansi)


class Officers:
    def __init__(self, keycloak: KeycloakUsers, realm: str = "bsre") -> None:
        self._keycloak = keycloak
        self._realm = realm

    def of(self, user_id: str, roles: Iterable[str]) -> Officer | None:
        """The officer behind a login, or None: not an officer, or a Verifikator without an
        instansi (who may then see nobody). Keycloak down raises KeycloakUnavailable."""
        roles = set(roles)
        if ROLE_RA in roles:
            return Officer(user_id, None)
        if ROLE_VERIFIKATOR not in roles:
            return None
        user = self._keycloak.get_user(self._realm, user_id)
        instansi = (user.attributes.get("instansi") or "").strip() if user else ""
        return Officer(user_id, instansi) if instansi else None
