"""B1 by NIP, public: ``/bsre/daftar``. A civil servant types NIP, NIK and an email; BKN is
asked for the pair (captcha first, rate-limited per NIP and NIK). A match mails the
"Aktivasi Akun" link; an unknown pair reads "NOT_REGISTERED / Pengguna tidak terdaftar",
an answer about the typed pair in BKN, never about accounts (X1). The address is nobody's
proof yet: with one NIP it gets at most LINKS_PER_ADDRESS links a day (a review mailed one
address 120 times a day with one pair)."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import StringField

from gerbang_sidecar.domain.bsre.activation_form import SELF_REGISTRATION_FIELDS
from gerbang_sidecar.services.bsre.invitations import Invitations, LinkSent, NotRegistered
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.web.captcha import CaptchaField
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import temporary_problem
from gerbang_sidecar.web.forms import add_form_errors, form_page
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import get_locale
from gerbang_sidecar.web.rate_limit import counted_sends, limit_identifier, rate_limited

REALM = "bsre"
FORM_LIMIT, FORM_WINDOW, FORM_CEILING = 10, 600, 600
IDENTIFIER_LIMIT, IDENTIFIER_WINDOW = 5, 3600
LINKS_PER_ADDRESS, ADDRESS_WINDOW = 3, 86400

bp = Blueprint("bsre_self_registration", __name__, url_prefix="/bsre/daftar")


class SelfRegistrationForm(FlaskForm):
    nip = StringField("bsre.self.nip")
    nik = StringField("bsre.field.nik")
    email = StringField("bsre.field.email")
    captcha = CaptchaField()


def _service() -> Invitations:
    return services().bsre_invitations


def _page(form: SelfRegistrationForm, **context: object) -> ResponseReturnValue:
    for name in SELF_REGISTRATION_FIELDS:
        form[name].flags.required = True
    return form_page("bsre/self_registration/form.html", form, **context)


@bp.route("", methods=["GET", "POST"])
@rate_limited(FORM_LIMIT, FORM_WINDOW, ceiling=FORM_CEILING)
def register() -> ResponseReturnValue:
    use_portal(REALM)
    if request.method == "GET":
        return _page(SelfRegistrationForm(formdata=None))
    form = SelfRegistrationForm()
    if not form.validate_on_submit():
        return _page(form)
    typed = {name: form[name].data or "" for name in SELF_REGISTRATION_FIELDS}
    for name in ("nip", "nik"):
        limit_identifier(f"bsre_self_registration.{name}", typed[name], IDENTIFIER_LIMIT,
                         IDENTIFIER_WINDOW)
    # Per address and NIP: one pair no longer mails an address without end, and a stranger's
    # pair cannot spend the owner's own tries, nor learn what a 429 would tell of an address.
    sent_to = f"{typed['email'].strip().lower()} {typed['nip'].strip()}"
    result = counted_sends(
        "bsre_self_registration.links_to", sent_to, LINKS_PER_ADDRESS, ADDRESS_WINDOW,
        lambda: _service().self_register(typed, locale=get_locale()), LinkSent)
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return _page(form)
    if isinstance(result, TemporaryProblem):
        return temporary_problem("bsre/self_registration/form.html", form=form)
    if isinstance(result, NotRegistered):
        body, _ = _page(form, not_registered=True)  # type: ignore[misc]
        return body, 404
    assert isinstance(result, LinkSent)
    return redirect(url_for(".sent"))


@bp.get("/terkirim")
def sent() -> ResponseReturnValue:
    use_portal(REALM)
    return render_template("bsre/self_registration/sent.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
