"""The landing page listing the portals, and each portal's small start page.

A portal's start page links to Keycloak's login for the portal client (through
``/<realm>/masuk``) and to the sidecar's registration and forgot-password pages, which live at
``/<realm>/daftar`` and ``/<realm>/lupa-kata-sandi`` (the paths the themes link to too). A
portal without the sidecar's forgot password (BSrE, B10: the email link, then the user's own
OTP code) links to Keycloak's reset page for its client instead.

``/<realm>/dokumen/<name>`` shows the texts a form asks the user to accept -- OSS's and INSW's
terms, BSrE's privacy policy and subscriber agreement -- beside the box that accepts them
(a newcomer ticked agreements nobody could read). Each is a template per language.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Flask, abort, render_template
from flask.typing import ResponseReturnValue

from gerbang_sidecar.portals import PORTALS, Portal, find_portal
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import get_locale
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
    lang = get_locale()
    return render_template("portal_home.html",
                           user=current_portal_user(portal.client_id),
                           # Where a login lands (Beranda, Home, Dashboard), for one already in.
                           landing_url=portal.client.landing_url
                           if portal.client.landing else None,
                           register_url=f"/{realm}/daftar?{urlencode({'lang': lang})}",
                           forgot_password_url=_forgot_password_url(portal, lang))


# (realm, name) -> the title's catalog key; the text is documents/<lang>/<realm>-<name>.html
DOCUMENTS = {
    ("oss", "syarat-dan-ketentuan"): "document.oss.terms",
    ("insw", "ketentuan-penggunaan"): "document.insw.terms",
    ("bsre", "kebijakan-privasi"): "document.bsre.privacy",
    ("bsre", "perjanjian-pemilik-sertifikat"): "document.bsre.agreement",
}


@bp.get("/<realm>/dokumen/<name>")
def document(realm: str, name: str) -> ResponseReturnValue:
    title_key = DOCUMENTS.get((realm, name))
    if title_key is None:
        abort(404)
    use_portal(realm)
    return render_template(f"documents/{get_locale()}/{realm}-{name}.html",
                           title_key=title_key)


def _forgot_password_url(portal: Portal, lang: str) -> str:
    if portal.forgot_password is not None:
        return f"/{portal.realm}/lupa-kata-sandi?{urlencode({'lang': lang})}"
    keycloak = services().settings.keycloak_browser_url.rstrip("/")
    return (f"{keycloak}/realms/{portal.realm}/login-actions/reset-credentials?"
            f"{urlencode({'client_id': portal.client_id, 'kc_locale': lang})}")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
