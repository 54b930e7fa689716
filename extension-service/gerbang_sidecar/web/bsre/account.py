"""The BSrE user's own pages: "Profil" (B12), "Aktivitas" and "Keamanan" (B23).

``/bsre/profil``                           every field of B12, consent times in WIB
``/bsre/aktivitas``                        Keycloak's events and the sidecar's audit, paged
``/bsre/keamanan``                         password and OTP devices (names, dates added)
``/bsre/keamanan/kata-sandi``    (POST)    Keycloak's UPDATE_PASSWORD action, back here
``/bsre/keamanan/otp/baru``      (POST)    room for a device (B9), then CONFIGURE_TOTP
``/bsre/keamanan/otp/<id>/hapus`` (POST)   remove one device, never the last
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from gerbang_sidecar import portals
from gerbang_sidecar.services.bsre.account import BsreAccount, LastDevice
from gerbang_sidecar.texts import has_key
from gerbang_sidecar.web.bsre.access import CLIENT, REALM
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import t
from gerbang_sidecar.web.portal_login import portal_login_required, start_login

bp = Blueprint("bsre_account", __name__, url_prefix="/bsre")


class ActionForm(FlaskForm):
    """A button that changes something: the CSRF token only."""


def _account() -> BsreAccount:
    return services().bsre_account


@bp.get("/profil")
@portal_login_required(REALM, CLIENT)
def profile() -> ResponseReturnValue:
    use_portal(REALM)
    found = _account().profile(g.portal_user.sub, g.portal_user.roles)
    if found is None:
        abort(404)
    return render_template("bsre/profile.html", profile=found)


@bp.get("/aktivitas")
@portal_login_required(REALM, CLIENT)
def activity() -> ResponseReturnValue:
    use_portal(REALM)
    page = request.args.get("page", "1")
    found = _account().activity(g.portal_user.sub, int(page) if page.isdigit() else 1)
    return render_template("bsre/activity.html", found=found, label=_activity_label,
                           error=_error_label)


def _activity_label(what: str) -> str:
    """An event in words: Keycloak's event types and the audit trail's each have a text."""
    return _text("activity.", what)


def _error_label(code: str) -> str:
    """Why Keycloak's event failed (``invalid_user_credentials``) in words."""
    return _text("activity.error.", code)


def _text(prefix: str, code: str) -> str:
    # A code nobody wrote a text for (a newer Keycloak's, say) reads as "other", never raw.
    key = prefix + code
    return t(key if has_key(key) else prefix + "other")


@bp.get("/keamanan")
@portal_login_required(REALM, CLIENT)
def security() -> ResponseReturnValue:
    use_portal(REALM)
    return render_template("bsre/security.html", form=ActionForm(formdata=None),
                           devices=_account().devices(g.portal_user.sub))


@bp.post("/keamanan/kata-sandi")
@portal_login_required(REALM, CLIENT)
def change_password() -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    return start_login(portals.client(CLIENT), url_for(".security"),
                       kc_action="UPDATE_PASSWORD")


@bp.post("/keamanan/otp/baru")
@portal_login_required(REALM, CLIENT)
def new_device() -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    # B9's "the oldest goes" once the new device exists (the reconciler, within seconds):
    # removed now, a set-up given up half-way would cost the user a device for nothing.
    return start_login(portals.client(CLIENT), url_for(".security"),
                       kc_action="CONFIGURE_TOTP")


@bp.post("/keamanan/otp/<device_id>/hapus")
@portal_login_required(REALM, CLIENT)
def remove_device(device_id: str) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    removed = _account().remove_device(g.portal_user.sub, device_id[:64])
    if removed is None:
        abort(404)
    if isinstance(removed, LastDevice):
        flash("bsre.security.last_device", "warning")
    else:
        flash("bsre.security.removed", "success")
    return redirect(url_for(".security"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
