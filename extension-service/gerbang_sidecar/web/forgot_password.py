"""Forgot password pages of every portal that has them (AKSes A7, OSS; C1, C2, X1, X2): thin
views over PasswordReset. What differs by portal is the portal table's ``ForgotPassword``.

``/<path>/lupa-kata-sandi``              step 1: identifier; step 2: the channel, "Proses"
                                         (a portal with one channel goes straight on)
``/<path>/lupa-kata-sandi/terkirim/<t>`` the same answer for every identifier; "Kirim Ulang"
``/<path>/lupa-kata-sandi/atur/<t>``     the SMS link's set-password page

X1: step 2 always offers every channel of the portal (choosing SMS without a verified number
falls back to email in the worker), and "Proses" only stores the request and enqueues a job --
no Keycloak lookup on the request path, so nothing in the answer depends on the account.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from gerbang_sidecar.domain.account_recovery import MAX_IDENTIFIER_LENGTH
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.portals import PORTALS
from gerbang_sidecar.services.password_reset import PasswordReset
from gerbang_sidecar.services.password_reset.results import (
    LinkInvalid,
    PasswordChanged,
    PasswordRefused,
    Resent,
    UnknownRequest,
)
from gerbang_sidecar.texts import has_key
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import error_page
from gerbang_sidecar.web.forms import add_field_error, form_page
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import get_locale, t
from gerbang_sidecar.web.rate_limit import limit_identifier_per_site, rate_limited

_TEMPLATES = "forgot_password"
# X2: per address generous enough for a carrier-grade NAT (one address, many people); the
# per-identifier limit and the ceiling hold back a script.
FORM_LIMIT, FORM_WINDOW = 60, 3600
# Per identifier typed (NIK, SID, email, username) from one site, four sites' worth from
# everyone together: a stranger at one address who spends a NIK's five tries does not hold
# its owner off; every client together.
IDENTIFIER_LIMIT, SITES_PER_IDENTIFIER, FORM_CEILING = 5, 4, 2000
SET_PASSWORD_LIMIT, SET_PASSWORD_WINDOW = 10, 900


class IdentifierForm(FlaskForm):
    # The label is the portal's (recovery.identifier.<realm>), set per page.
    identifier = StringField(validators=[
        DataRequired(message="form.required"),
        Length(max=MAX_IDENTIFIER_LENGTH, message="form.too_long")])
    channel = RadioField("recovery.channel", default="email",
                         choices=[SelectChoice("email", "recovery.channel.email"),
                                  SelectChoice("sms", "recovery.channel.sms")],
                         validate_choice=False)


class NewPasswordForm(FlaskForm):
    password = PasswordField("recovery.new_password", validators=[
        DataRequired(message="form.required"), Length(max=128, message="form.too_long")])
    password_confirm = PasswordField("recovery.new_password_confirm", validators=[
        DataRequired(message="form.required"),
        EqualTo("password", message="recovery.password_mismatch")])


_PORTAL_PATHS = {p.client.path: p for p in PORTALS if p.forgot_password is not None}
bp = Blueprint("account_recovery", __name__,
               url_prefix=f"/<any({', '.join(sorted(_PORTAL_PATHS))}):portal>/lupa-kata-sandi")


@bp.url_value_preprocessor
def _take_portal(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.recovery_portal = _PORTAL_PATHS[(values or {}).pop("portal")]
    use_portal(g.recovery_portal.realm)


@bp.url_defaults
def _keep_portal(_endpoint: str, values: dict[str, Any]) -> None:
    if "portal" not in values and "recovery_portal" in g:
        values["portal"] = g.recovery_portal.client.path


def _service() -> PasswordReset:
    return services().password_reset


def _page(template: str, form: IdentifierForm) -> ResponseReturnValue:
    portal = g.recovery_portal
    form.identifier.label.text = f"recovery.identifier.{portal.realm}"
    return form_page(f"{_TEMPLATES}/{template}", form=form,
                     identifier_label=f"recovery.identifier.{portal.realm}",
                     identifier_help=f"recovery.identifier.{portal.realm}.help",
                     channels=portal.forgot_password.channels)


@bp.route("", methods=["GET", "POST"])
@rate_limited(FORM_LIMIT, FORM_WINDOW, ceiling=FORM_CEILING)
def forgot_password() -> ResponseReturnValue:
    portal = g.recovery_portal
    channels = portal.forgot_password.channels
    form = IdentifierForm()
    action = request.form.get("action", "next")
    if request.method == "GET" or action == "back":
        return _page("identify.html", form)
    if not form.validate_on_submit():
        return _page("identify.html", form)
    if action != "process" and len(channels) > 1:
        return _page("choose_channel.html", form)
    channel = form.channel.data if form.channel.data in channels else channels[0]
    limit_identifier_per_site(f"account_recovery.{portal.realm}.identifier",
                              form.identifier.data or "", IDENTIFIER_LIMIT, FORM_WINDOW,
                              sites=SITES_PER_IDENTIFIER)
    token = _service().request(portal.realm, form.identifier.data or "", channel, get_locale())
    return redirect(url_for(".sent", token=token), code=303)


@bp.route("/terkirim/<token>", methods=["GET", "POST"])
@rate_limited(FORM_LIMIT, FORM_WINDOW, scope="account_recovery.sent")
def sent(token: str) -> ResponseReturnValue:
    service = _service()
    form = FlaskForm()
    message, status = None, 200
    if request.method == "POST" and form.validate_on_submit():
        outcome = service.resend(token)
        if isinstance(outcome, UnknownRequest):
            abort(404)
        if isinstance(outcome, TooEarly):
            minutes = max(1, -(-outcome.retry_after_seconds // 60))
            message, status = t("recovery.resend_too_early", minutes=minutes), 429
        elif isinstance(outcome, Resent):
            message = t("recovery.resent")
    if service.status(token) is None:
        abort(404)
    return render_template(f"{_TEMPLATES}/sent.html", form=form, message=message,
                           status_is_error=status != 200), status


@bp.route("/atur/<token>", methods=["GET", "POST"])
@rate_limited(SET_PASSWORD_LIMIT, SET_PASSWORD_WINDOW)
def set_password(token: str) -> ResponseReturnValue:
    service = _service()
    realm = g.recovery_portal.realm
    if isinstance(service.open_link(realm, token), LinkInvalid):
        return _link_invalid()
    form = NewPasswordForm()
    if form.validate_on_submit():
        outcome = service.set_password(realm, token, form.password.data or "")
        if isinstance(outcome, PasswordChanged):
            return render_template(f"{_TEMPLATES}/changed.html")
        if isinstance(outcome, LinkInvalid):
            return _link_invalid()
        if isinstance(outcome, PasswordRefused):
            add_field_error(form, "password", _policy_message(outcome.reason))
    return form_page(f"{_TEMPLATES}/set_password.html", form=form)


def _policy_message(reason: str) -> str:
    key = f"recovery.policy.{reason}"
    return key if has_key(key) else "recovery.policy.other"


def _link_invalid() -> ResponseReturnValue:
    body, _status = error_page(410, title_key="recovery.link_invalid.title",
                               text_key="recovery.link_invalid.text")
    return body, 410


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
