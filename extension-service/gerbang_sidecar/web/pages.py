"""The landing page listing the portals, and each portal's small start page.

A portal's start page links to Keycloak's login for the portal client (through
``/<realm>/masuk``) and to the sidecar's registration and forgot-password pages, which live at
``/<realm>/daftar`` and ``/<realm>/lupa-kata-sandi`` (the paths the themes link to too).
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, render_template
from flask.typing import ResponseReturnValue

from gerbang_sidecar.portals import PORTALS, find_portal
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.portal_login import current_portal_user

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> ResponseReturnValue:
    return render_template("home.html", portals=PORTALS)


@bp.get("/<realm>/")
def portal_home(realm: str) -> ResponseReturnValue:
    if find_portal(realm) is None:
        abort(404)
    portal = use_portal(realm)
    return render_template("portal_home.html",
                           user=current_portal_user(portal.client_id),
                           register_url=f"/{realm}/daftar",
                           forgot_password_url=f"/{realm}/lupa-kata-sandi")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
