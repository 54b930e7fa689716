"""AKSes registration wizard (A1–A5, C2, X1): thin views over ``AksesRegistration``.

Pages: choose the type -> the type's form -> "Selanjutnya" shows the confirmation ->
"Kembali" (the form again, every field kept) or "Aktivasi" -> thank-you page with "Kirim Ulang".
Whether an identifier already has an account changes none of these pages (X1).

The registration's token lives in the Flask session (a signed, HttpOnly cookie), not in URLs:
URLs end up in browser history, proxy logs and Referer headers. One browser follows one
registration at a time; a new "Selanjutnya" replaces the previous token.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import StringField

from gerbang_sidecar.domain.akses.registration_form import FIELDS, RegistrationType
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.services.akses.registration import AksesRegistration
from gerbang_sidecar.services.akses.registration.results import (
    ActivationAccepted,
    AlreadyActivated,
    Confirmation,
    FormData,
    FormErrors,
    Resent,
    ThankYou,
)
from gerbang_sidecar.services.results import TemporaryProblem
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import temporary_problem
from gerbang_sidecar.web.forms import add_identifier_error, form_page
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import get_locale
from gerbang_sidecar.web.rate_limit import counted_sends, limit_identifier, rate_limited

REALM = "akses"
SESSION_KEY = "akses_registration"
# Times on the thank-you page are for people in Indonesia; WIB is the capital's zone.
DISPLAY_ZONE = ZoneInfo("Asia/Jakarta")

# X2: generous for people correcting typos, tight for anyone probing registries in bulk.
CHECK_LIMIT, ACTIVATE_LIMIT, RESEND_LIMIT, WINDOW_SECONDS = 30, 10, 5, 600
# Activation mails "Kirim Ulang" may send for one registration a day (C2 spaces them by 15
# minutes; someone who registers their own NIK with a stranger's email could otherwise send
# that stranger 96 a day until the account is removed).
RESENDS_PER_DAY, DAY_SECONDS = 5, 86400
# Per NIK / passport / SID and per email typed, from any address; and every client together.
IDENTIFIER_LIMIT, IDENTIFIER_WINDOW = 10, 3600
CHECK_CEILING = 600

bp = Blueprint("akses_registration", __name__, url_prefix="/akses/daftar")


class RegistrationForm(FlaskForm):
    """Every field of every type; the page shows only its type's four (FIELDS). Validation is
    the service's (identifier rules and registries), so the fields carry no validators."""

    name = StringField()
    nik = StringField()
    passport = StringField()
    sid = StringField()
    phone = StringField()
    email = StringField()


# Per type and field: (label key, help key or None), as the AKSes manual names them.
LABELS: Mapping[RegistrationType, Mapping[str, tuple[str, str | None]]] = {
    RegistrationType.INDIVIDU_LOKAL: {
        "name": ("reg.field.name", "reg.help.name_ktp"),
        "nik": ("reg.field.nik", "reg.help.nik"),
        "phone": ("reg.field.phone", "reg.help.phone"),
        "email": ("reg.field.email", "reg.help.email_local"),
    },
    RegistrationType.INDIVIDU_ASING: {
        "name": ("reg.field.name", None),
        "passport": ("reg.field.passport", None),
        "phone": ("reg.field.phone", "reg.help.phone"),
        "email": ("reg.field.email", "reg.help.email_broker"),
    },
    RegistrationType.INSTITUSI: {
        "name": ("reg.field.company_name", "reg.help.company_name"),
        "sid": ("reg.field.sid", "reg.help.sid"),
        "phone": ("reg.field.company_phone", "reg.help.phone"),
        "email": ("reg.field.company_email", "reg.help.email_broker"),
    },
}
# Mobile keyboards: digits for NIK, a phone pad for numbers, the @ keyboard for email.
INPUT_ATTRS: Mapping[str, dict[str, str]] = {
    "name": {"autocomplete": "name"},
    "nik": {"inputmode": "numeric", "autocomplete": "off", "maxlength": "16"},
    "passport": {"autocomplete": "off", "autocapitalize": "characters"},
    "sid": {"autocomplete": "off", "autocapitalize": "characters", "maxlength": "20"},
    "phone": {"type": "tel", "autocomplete": "tel"},
    "email": {"type": "email", "autocomplete": "email"},
}


def _service() -> AksesRegistration:
    return services().akses_registration


def _now() -> datetime:
    """The services' clock, so "available at" on the page agrees with the server's refusal."""
    return services().clock()


def _type_or_404(raw: str) -> RegistrationType:
    try:
        return RegistrationType(raw)
    except ValueError:
        abort(404)


def _token() -> str | None:
    token = session.get(SESSION_KEY)
    return token if isinstance(token, str) else None


def _start_again() -> ResponseReturnValue:
    flash("reg.flash.not_found", "warning")
    return redirect(url_for(".choose"))


def _render_form(kind: RegistrationType, form: RegistrationForm, *, status: int | None = None,
                 outage: bool = False, **context: Any) -> ResponseReturnValue:
    page = {"kind": kind, "fields": FIELDS[kind], "labels": LABELS[kind],
            "input_attrs": INPUT_ATTRS, **context}
    if outage:  # 503, every typed value kept (X5)
        return temporary_problem("akses/registration/form.html", form=form, **page)
    body, code = form_page("akses/registration/form.html", form, **page)
    return body, status or code


# --- pages -------------------------------------------------------------------------------


@bp.get("")
def choose() -> ResponseReturnValue:
    use_portal(REALM)
    return render_template("akses/registration/choose.html", types=list(RegistrationType))


@bp.route("/<kind>", methods=["GET", "POST"])
@rate_limited(CHECK_LIMIT, WINDOW_SECONDS, ceiling=CHECK_CEILING)
def form(kind: str) -> ResponseReturnValue:
    use_portal(REALM)
    registration_type = _type_or_404(kind)
    if request.method == "GET":
        return _show_form(registration_type)
    reg_form = RegistrationForm()
    if not reg_form.validate_on_submit():  # only CSRF can fail here; CSRFProtect answers first
        return _render_form(registration_type, reg_form)
    submitted = {"type": registration_type.value,
                 **{name: reg_form[name].data or "" for name in FIELDS[registration_type]}}
    for name in ("nik", "passport", "sid", "email"):
        if name in FIELDS[registration_type]:
            limit_identifier(f"akses_registration.{name}", submitted[name], IDENTIFIER_LIMIT,
                             IDENTIFIER_WINDOW)
    result = _service().check(submitted, get_locale())
    if isinstance(result, FormErrors):
        for name, error in result.errors.items():
            if name in FIELDS[registration_type]:
                add_identifier_error(reg_form, error, name)
        return _render_form(registration_type, reg_form)
    if isinstance(result, TemporaryProblem):
        return _render_form(registration_type, reg_form, outage=True)
    assert isinstance(result, Confirmation)
    session[SESSION_KEY] = result.token
    return render_template("akses/registration/confirm.html", confirmation=result)


def _show_form(kind: RegistrationType) -> ResponseReturnValue:
    """A fresh form, or with ``?kembali=1`` the pending registration's form as typed (A5)."""
    reg_form = RegistrationForm(formdata=None)
    if request.args.get("kembali") and (token := _token()):
        edited = _service().edit(token)
        if isinstance(edited, AlreadyActivated):
            return redirect(url_for(".thank_you"))
        if isinstance(edited, FormData):
            if edited.type is not kind:
                return redirect(url_for(".form", kind=edited.type.value, kembali=1))
            for name in FIELDS[kind]:
                reg_form[name].data = edited.fields.get(name, "")
    return _render_form(kind, reg_form)


@bp.post("/aktivasi")
@rate_limited(ACTIVATE_LIMIT, WINDOW_SECONDS)
def activate() -> ResponseReturnValue:
    use_portal(REALM)
    token = _token()
    if token is None:
        return _start_again()
    result = _service().activate(token)
    if isinstance(result, ActivationAccepted):
        # A double click lands here twice: both go to the one thank-you page.
        return redirect(url_for(".thank_you"))
    if isinstance(result, TemporaryProblem):
        # Nothing was accepted: the same data can be activated once the database is back.
        return render_template("akses/registration/retry.html", temporary_problem=True), 503
    return _start_again()


@bp.get("/terima-kasih")
def thank_you() -> ResponseReturnValue:
    use_portal(REALM)
    token = _token()
    if token is None:
        return _start_again()
    result = _service().thank_you(token)
    if not isinstance(result, ThankYou):
        return _start_again()
    return _thank_you_page(result.name, result.resend_available_at)


def _thank_you_page(name: str, available_at: datetime, *,
                    status: int = 200, **context: Any) -> ResponseReturnValue:
    seconds_left = (available_at - _now()).total_seconds()
    return render_template(
        "akses/registration/thanks.html", name=name,
        resend_at=available_at.astimezone(DISPLAY_ZONE).strftime("%H:%M"),
        minutes_left=max(0, math.ceil(seconds_left / 60)), **context), status


@bp.post("/kirim-ulang")
@rate_limited(RESEND_LIMIT, WINDOW_SECONDS)
def resend() -> ResponseReturnValue:
    use_portal(REALM)
    token = _token()
    if token is None:
        return _start_again()
    service = _service()
    result = counted_sends("akses_activation_resend", token, RESENDS_PER_DAY, DAY_SECONDS,
                           lambda: service.resend(token), Resent)
    if isinstance(result, Resent):
        flash("reg.flash.resent", "success")
        return redirect(url_for(".thank_you"))
    current = service.thank_you(token)
    if not isinstance(current, ThankYou):
        return _start_again()
    if isinstance(result, TooEarly):
        # C2: the server refuses, whatever the page's button looked like.
        body, status = _thank_you_page(current.name, current.resend_available_at, status=429,
                                       too_early=True)
        return body, status, {"Retry-After": str(result.retry_after_seconds)}
    assert isinstance(result, TemporaryProblem)
    return _thank_you_page(current.name, current.resend_available_at,
                           status=503, temporary_problem=True)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

