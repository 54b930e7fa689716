"""Beranda (the AKSes landing page after login, A5) and the eASY page (A8).

Both are OIDC-protected pages. Who may enter eASY is decided first by Keycloak's ``easy
browser`` flow (deny access unless ``easy-shareholder``); the page asks Keycloak again on
every request, as the officers' pages do, so a role taken away (a SID closed, an account
moved to Registered User) ends eASY at once rather than when the login ends, and a legacy
member registers an email first (A6) here too.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, g, render_template
from flask.typing import ResponseReturnValue

from gerbang_sidecar.domain.akses.accounts import ROLE_EASY_SHAREHOLDER
from gerbang_sidecar.ports.keycloak import KeycloakError
from gerbang_sidecar.web.akses.legacy_members import require_registered_email
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.held_roles import held_role_required
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.portal_login import portal_login_required

log = logging.getLogger(__name__)
bp = Blueprint("akses_portal", __name__)

REALM = "akses"
easy_shareholders_only = held_role_required(  # A8
    REALM, ROLE_EASY_SHAREHOLDER, title_key="easy.forbidden.title", text_key="easy.forbidden.text")


@bp.get("/akses/beranda")
@portal_login_required(REALM, "akses-portal")
@require_registered_email  # A6: legacy members register an email first
def beranda() -> ResponseReturnValue:
    use_portal(REALM)
    return render_template("akses/beranda.html", user=g.portal_user)


@bp.get("/easy/")
@portal_login_required(REALM, "easy")
@require_registered_email  # A6 before anything else of the portal
@easy_shareholders_only
def easy_home() -> ResponseReturnValue:
    use_portal(REALM)
    return render_template("akses/easy.html", user=g.portal_user, sid=_sid_of(g.portal_user.sub))


def _sid_of(user_id: str) -> str | None:
    """The SID is a profile attribute, not a token claim: read it as the service account.
    Missing it only hides one line, so an outage here must not break the page."""
    try:
        user = services().keycloak.get_user(REALM, user_id)
    except KeycloakError as exc:
        log.warning("easy page: profile not readable (%s)", type(exc).__name__)
        return None
    return user.attributes.get("sid") if user else None


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
