"""The BSrE "Dashboard" where a login lands (B8): the user's menu, and the Verifikator's
entry to their users; "Petunjuk Teknis", the technical guides of the menu."""

from __future__ import annotations

from flask import Blueprint, Flask, g, render_template
from flask.typing import ResponseReturnValue

from gerbang_sidecar.domain.bsre.accounts import ROLE_RA, ROLE_VERIFIKATOR
from gerbang_sidecar.web.bsre.access import CLIENT, REALM
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.portal_login import portal_login_required

bp = Blueprint("bsre_dashboard", __name__)


@bp.get("/bsre/dashboard")
@portal_login_required(REALM, CLIENT)
def dashboard() -> ResponseReturnValue:
    use_portal(REALM)
    user = g.portal_user
    return render_template("bsre/dashboard.html", user=user,
                           is_officer=user.has_role(ROLE_VERIFIKATOR) or user.has_role(ROLE_RA))


@bp.get("/bsre/petunjuk-teknis")
@portal_login_required(REALM, CLIENT)
def guides() -> ResponseReturnValue:
    use_portal(REALM)
    return render_template("bsre/guides.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
