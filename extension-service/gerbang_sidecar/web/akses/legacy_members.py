"""Legacy AKSes members register an email before Beranda (A6): the page and the gate.

``/akses/daftarkan-email`` -- behind the AKSes portal login: "Kirim OTP" sends a 5-digit code
to the typed email, "Verifikasi" checks it, "Kirim ulang OTP" resends to the same address
after 15 minutes; 5 attempts per code (policy ``a6_email``).

Pages that legacy members must not reach before that (Beranda) use the gate::

    @bp.get("/akses/beranda")
    @portal_login_required("akses", "akses-portal")
    @require_registered_email           # below the login: it reads g.portal_user
    def beranda(): ...
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Blueprint, Flask, flash, g, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from gerbang_sidecar.domain.identifiers import IdentifierError, parse_email
from gerbang_sidecar.domain.masking import mask_email
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.services.akses.legacy_members import (
    LEGACY_ROLE,
    EmailTaken,
    LegacyEmailRegistration,
    Registered,
)
from gerbang_sidecar.services.one_time_codes import (
    Expired,
    Locked,
    NoActiveCode,
    Sent,
    Wrong,
)
from gerbang_sidecar.services.results import TemporaryProblem
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.forms import INVALID_FORM_STATUS, add_field_error, add_identifier_error
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import get_locale, t
from gerbang_sidecar.web.portal_login import portal_login_required
from gerbang_sidecar.web.rate_limit import rate_limited

P = ParamSpec("P")
R = TypeVar("R")

bp = Blueprint("legacy_members", __name__)
REALM = "akses"
REGISTER_EMAIL_PATH = "/akses/daftarkan-email"
BERANDA_PATH = "/akses/beranda"
_TEMPLATE = "akses/legacy_members/register_email.html"


def require_registered_email(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Send legacy members (role ``legacy-member``) to the email page first (A6)."""

    @wraps(view)
    def gated(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        user = g.get("portal_user")
        if user is not None and user.has_role(LEGACY_ROLE):
            return redirect(REGISTER_EMAIL_PATH)
        return view(*args, **kwargs)

    return gated


class EmailForm(FlaskForm):
    email = StringField("legacy.email", validators=[
        DataRequired(message="form.required"), Length(max=254, message="form.too_long")])


class CodeForm(FlaskForm):
    code = StringField("legacy.code", validators=[
        DataRequired(message="form.required"), Length(max=10, message="form.too_long")])


def _service() -> LegacyEmailRegistration:
    return services().legacy_members


@bp.route(REGISTER_EMAIL_PATH, methods=["GET", "POST"])
@portal_login_required(REALM, "akses-portal")
@rate_limited(30, 3600)
def register_email() -> ResponseReturnValue:
    use_portal(REALM)
    user = g.portal_user
    if not user.has_role(LEGACY_ROLE):
        return redirect(BERANDA_PATH)
    service = _service()
    email_form, code_form = EmailForm(prefix="e"), CodeForm(prefix="c")
    status = 200
    action = request.form.get("action")
    if request.method == "POST" and action in ("send", "resend"):
        status = _send(service, user.sub, email_form, resend=action == "resend")
    elif request.method == "POST" and action == "verify" and code_form.validate_on_submit():
        result = service.verify(user.sub, code_form.code.data or "")
        if isinstance(result, Registered):
            _forget_legacy_role(result.email)
            flash("legacy.registered", "success")
            return redirect(BERANDA_PATH)
        add_field_error(code_form, "code", _verify_message(result))
        status = 503 if isinstance(result, TemporaryProblem) else INVALID_FORM_STATUS
    elif request.method == "POST":
        code_form.validate()
        status = INVALID_FORM_STATUS
    return render_template(_TEMPLATE, email_form=email_form, code_form=code_form,
                           pending=service.pending(user.sub)), status


def _send(service: LegacyEmailRegistration, user_id: str, form: EmailForm, *,
          resend: bool) -> int:
    if resend:
        result = service.resend(user_id, get_locale())
        if result is None:
            add_field_error(form, "email", "legacy.send_first")
            return INVALID_FORM_STATUS
    else:
        if not form.validate_on_submit():
            return INVALID_FORM_STATUS
        try:
            email = parse_email(form.email.data).value
        except IdentifierError as error:
            add_identifier_error(form, error, "email")
            return INVALID_FORM_STATUS
        result = service.send_code(user_id, email, get_locale())
    if isinstance(result, TooEarly):
        minutes = max(1, -(-result.retry_after_seconds // 60))
        add_field_error(form, "email", t("legacy.resend_wait", minutes=minutes))
        return 429
    assert isinstance(result, Sent)
    flash("legacy.code_sent", "success")
    return 200


def _verify_message(result: object) -> str:
    if isinstance(result, Wrong):
        return t("legacy.code_wrong", left=result.attempts_left)
    if isinstance(result, Expired):
        return "legacy.code_expired"
    if isinstance(result, Locked):
        return "legacy.code_locked"
    if isinstance(result, EmailTaken):
        return "legacy.email_taken"
    if isinstance(result, TemporaryProblem):
        return "legacy.try_again"
    assert isinstance(result, NoActiveCode)
    return "legacy.send_first"


def _forget_legacy_role(email: str) -> None:
    """The logins kept for this account predate the change: drop the role there too, so the
    gate opens now rather than at the next login."""
    user = g.portal_user
    services().portal_sessions.amend(REALM, user.sub, lambda data: {
        **data, "email": email, "roles": [r for r in data.get("roles", []) if r != LEGACY_ROLE]})
    g.pop("portal_users", None)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["mask_email"] = mask_email
