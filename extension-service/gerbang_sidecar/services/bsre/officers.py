"""Who acts on BSrE users (issue 10 item 1): a Verifikator for the users of their own instansi,
an RA for every instansi. The role and the instansi (the officer's Keycloak profile attribute)
are read on each request, so taking the role away or moving a verifier takes effect at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gerbang_sidecar.domain.bsre.accounts import ROLE_RA, ROLE_VERIFIKATOR
from gerbang_sidecar.ports.keycloak import KeycloakUsers

OFFICER_ROLES = frozenset({ROLE_RA, ROLE_VERIFIKATOR})


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


def may_act_on(keycloak: KeycloakUsers, realm: str, officer: Officer, user_id: str) -> bool:
    """Never on oneself (four eyes: no officer changes, resets or approves their own account);
    a Verifikator on users, not on other officers (an RA's work). Keycloak down raises."""
    if user_id == officer.user_id:
        return False
    return officer.is_ra or not keycloak.held_realm_roles(realm, user_id, OFFICER_ROLES)


class Officers:
    def __init__(self, keycloak: KeycloakUsers, realm: str = "bsre") -> None:
        self._keycloak = keycloak
        self._realm = realm

    def of(self, user_id: str, roles: Iterable[str]) -> Officer | None:
        """The officer behind a login, or None: not an officer, or a Verifikator without an
        instansi (who may then see nobody). Keycloak down raises KeycloakUnavailable.

        ``roles`` are the login's, as its token had them; an officer role among them is
        asked of Keycloak again, so one taken away ends the officer's powers at once, not
        when the login ends (up to eight hours later)."""
        claimed = set(roles) & OFFICER_ROLES
        if not claimed:
            return None
        roles = self._keycloak.held_realm_roles(self._realm, user_id, claimed)
        if ROLE_RA in roles:
            return Officer(user_id, None)
        if ROLE_VERIFIKATOR not in roles:
            return None
        user = self._keycloak.get_user(self._realm, user_id)
        instansi = (user.attributes.get("instansi") or "").strip() if user else ""
        return Officer(user_id, instansi) if instansi else None
