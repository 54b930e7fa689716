"""Pages for one realm role (INSW's reviewers, eASY's shareholders): the login's token named
the role and the user holds it now. Keycloak is asked on every request, so a role taken away
ends the page at once rather than when the login ends (up to eight hours later)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import g
from flask.typing import ResponseReturnValue

from gerbang_sidecar.ports.keycloak import KeycloakUnavailable
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import error_page
from gerbang_sidecar.web.layout import use_portal

P = ParamSpec("P")
R = TypeVar("R")


def held_role_required(realm: str, role: str, *, title_key: str, text_key: str
                       ) -> Callable[[Callable[P, R]], Callable[P, R | ResponseReturnValue]]:
    """Under ``portal_login_required``: a themed 403 without the role, 503 while Keycloak
    cannot say."""
    def decorate(view: Callable[P, R]) -> Callable[P, R | ResponseReturnValue]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R | ResponseReturnValue:
            use_portal(realm)
            user = g.portal_user
            try:
                holds = role in user.roles and bool(
                    services().keycloak.held_realm_roles(realm, user.sub, {role}))
            except KeycloakUnavailable:
                return error_page(503)
            if not holds:
                return error_page(403, title_key=title_key, text_key=text_key)
            return view(*args, **kwargs)
        return guarded
    return decorate
