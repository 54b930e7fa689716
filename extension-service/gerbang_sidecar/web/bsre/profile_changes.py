"""B13 pages: the user's change requests beside the Profil, the officer's queue.

``/bsre/profil/perubahan``                   Email ("Cek ketersediaan email" enables "Submit
                                             Perubahan"), Jabatan, Unit Organisasi, Nomor HP
                                             (WhatsApp code); what waits, and the signing block
``/bsre/verifikator/perubahan``              the officer's queue (own instansi; RA: all)
``/bsre/verifikator/perubahan/<id>/putuskan`` (POST) approve / reject with a reason
``/bsre/konfirmasi-perubahan/t/<token>``     the mailed link; the token moves to the session
``/bsre/konfirmasi-perubahan``               "Verifikasi" / "Tolak"
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from gerbang_sidecar.domain.one_time_code import B2_WHATSAPP
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.services.bsre.profile_changes import (
    AddressTaken,
    CodeSent,
    Decided,
    ProfileChanges,
    Requested,
)
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.web.bsre.access import CLIENT, REALM, officer, officer_required
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import error_page
from gerbang_sidecar.web.forms import (
    add_field_error,
    add_form_errors,
    form_page,
)
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import get_locale
from gerbang_sidecar.web.mailed_links import MailedLink
from gerbang_sidecar.web.portal_login import portal_login_required
from gerbang_sidecar.web.rate_limit import rate_limited, send_code_to

bp = Blueprint("bsre_profile_changes", __name__, url_prefix="/bsre")


class ChangeForm(FlaskForm):
    email = StringField("bsre.field.email")
    jabatan = StringField("bsre.field.jabatan")
    unit_organisasi = StringField("bsre.field.unit_organisasi")
    phone = StringField("bsre.field.phone")
    code = StringField("bsre.field.code")


class DecideForm(FlaskForm):
    reason = TextAreaField("bsre.verify.reason")


class ConfirmForm(FlaskForm):
    """The CSRF token of "Verifikasi" / "Tolak"."""


LINK = MailedLink("bsre_change_confirmation", "bsre.check.dead.title",
                  "bsre.change.confirm_dead")


def _service() -> ProfileChanges:
    return services().bsre_profile_changes


def _page(form: ChangeForm, **context: object) -> ResponseReturnValue:
    return form_page("bsre/profile_changes/form.html", form,
                     pending=_service().pending(g.portal_user.sub), **context)


@bp.route("/profil/perubahan", methods=["GET", "POST"])
@portal_login_required(REALM, CLIENT)
@rate_limited(30, 600)
def change() -> ResponseReturnValue:
    use_portal(REALM)
    if request.method == "GET":
        return _page(ChangeForm(formdata=None))
    form = ChangeForm()
    if not form.validate_on_submit():
        return _page(form)
    user_id = g.portal_user.sub
    action = request.form.get("action", "")
    if action == "check_email":
        checked = _service().email_available(user_id, form.email.data)
        if isinstance(checked, FormErrors):
            add_form_errors(form, checked.errors)
            return _page(form)
        return _page(form, email_available=checked.email)
    if action == "send_code":
        sent = send_code_to(form.phone.data, B2_WHATSAPP, lambda: _service().send_phone_code(
            user_id, form.phone.data, get_locale()), CodeSent)
        if isinstance(sent, FormErrors):
            add_form_errors(form, sent.errors)
            return _page(form)
        if isinstance(sent, TooEarly):
            add_field_error(form, "phone", "bsre.code.too_early")
            body, _ = _page(form)  # type: ignore[misc]
            return body, 429
        if isinstance(sent, TemporaryProblem):
            return error_page(503)
        return _page(form, code_sent=sent if isinstance(sent, CodeSent) else None)
    field = action.removeprefix("submit_")
    if field not in ("email", "jabatan", "unit_organisasi", "phone"):
        abort(400)
    result = _service().request(user_id, field, form[field].data, code=form.code.data)
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return _page(form)
    if isinstance(result, TemporaryProblem):
        return error_page(503)
    assert isinstance(result, Requested)
    flash("bsre.change.requested", "success")
    return redirect(url_for(".change"))


@bp.get("/verifikator/perubahan")
@officer_required
def queue() -> ResponseReturnValue:
    return form_page("bsre/profile_changes/queue.html", DecideForm(formdata=None),
                     waiting=_service().queue(officer()))


@bp.post("/verifikator/perubahan/<int:request_id>/putuskan")
@officer_required
def decide(request_id: int) -> ResponseReturnValue:
    form = DecideForm()
    if not form.validate_on_submit():
        abort(400)
    approve = request.form.get("decision") == "approve"
    result = _service().decide(officer(), request_id, approve=approve,
                               reason=form.reason.data or "")
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return form_page("bsre/profile_changes/queue.html", form,
                         waiting=_service().queue(officer()))
    if isinstance(result, TemporaryProblem):
        return error_page(503)
    if isinstance(result, Decided):
        flash("bsre.change.approved" if approve else "bsre.change.rejected", "success")
    elif isinstance(result, AddressTaken):
        flash("bsre.change.email_taken", "warning")
    else:
        flash("bsre.verify.not_waiting", "warning")
    return redirect(url_for(".queue"))


@bp.get("/konfirmasi-perubahan/t/<token>")
def start_confirmation(token: str) -> ResponseReturnValue:
    use_portal(REALM)
    return LINK.enter(token, usable=_service().confirmation(token) is not None,
                      endpoint=".confirmation")


@bp.route("/konfirmasi-perubahan", methods=["GET", "POST"])
@rate_limited(20, 600)
def confirmation() -> ResponseReturnValue:
    use_portal(REALM)
    token = LINK.token()
    row = _service().confirmation(token)
    if row is None or token is None:
        return LINK.dead()
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        return form_page("bsre/profile_changes/confirm.html", form, change=row)
    result = _service().confirm(token, accept=request.form.get("decision") == "verify")
    if isinstance(result, AddressTaken):
        flash("bsre.change.email_taken", "warning")
        body, _ = form_page("bsre/profile_changes/confirm.html", form, change=row)
        return body, 409
    LINK.forget()
    if not isinstance(result, Decided):
        return LINK.dead()
    return render_template("bsre/profile_changes/confirmed.html", accepted=result.approved)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

