"""The OSS "Home" (O6): where a login lands -- name, identity type and the masked identifier
the account registered with."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, g, render_template
from flask.typing import ResponseReturnValue

from gerbang_sidecar.domain.masking import mask
from gerbang_sidecar.ports.keycloak import KeycloakError
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.portal_login import portal_login_required

log = logging.getLogger(__name__)
bp = Blueprint("oss_portal", __name__)

REALM = "oss"


@bp.get("/oss/home")
@portal_login_required(REALM, "oss-portal")
def home() -> ResponseReturnValue:
    use_portal(REALM)
    identity_type, identifier = _identity_of(g.portal_user.sub)
    return render_template("oss/home.html", user=g.portal_user, identity_type=identity_type,
                           identifier_masked=mask(identifier) if identifier else None)


def _identity_of(user_id: str) -> tuple[str | None, str | None]:
    """Profile attributes, not token claims: read as the service account. Missing them only
    hides two lines, so an outage here must not break the page."""
    try:
        user = services().keycloak.get_user(REALM, user_id)
    except KeycloakError as exc:
        log.warning("oss home: profile not readable (%s)", type(exc).__name__)
        return None, None
    if user is None:
        return None, None
    kind = user.attributes.get("identityType")
    return kind, user.attributes.get("nik" if kind == "ktp" else "passport")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
