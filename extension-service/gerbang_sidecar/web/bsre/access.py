"""Who may open the Verifikator's pages (issue 10 item 1): every request logs in through the
``bsre-portal`` client (OTP included, the realm's browser flow) and is checked here, on the
server, against the officer's role and instansi. A row outside the officer's instansi is
answered like a row that does not exist (404), by the services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import g
from flask.typing import ResponseReturnValue

from gerbang_sidecar.ports.keycloak import KeycloakUnavailable
from gerbang_sidecar.services.bsre.officers import Officer
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import error_page
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.portal_login import portal_login_required

P = ParamSpec("P")
R = TypeVar("R")

REALM = "bsre"
CLIENT = "bsre-portal"


def officer() -> Officer:
    return g.bsre_officer


def officer_required(view: Callable[P, R]) -> Callable[P, R | ResponseReturnValue]:
    @portal_login_required(REALM, CLIENT)
    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | ResponseReturnValue:
        use_portal(REALM)
        user = g.portal_user
        try:
            found = services().bsre_officers.of(user.sub, user.roles)
        except KeycloakUnavailable:
            return error_page(503)
        if found is None:
            return error_page(403, title_key="bsre.officer.forbidden.title",
                              text_key="bsre.officer.forbidden.text")
        g.bsre_officer = found
        return view(*args, **kwargs)
    return guarded
