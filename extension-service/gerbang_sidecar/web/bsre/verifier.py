"""The Verifikator's pages (B1, B5), an RA's too; every row is looked up within the
officer's instansi by the services, so another instansi's rows answer 404.

``/bsre/verifikator``                    users: link state filter, paging
``/bsre/verifikator/daftarkan``          register a user: name, NIK, email (B1)
``/bsre/verifikator/<id>``               one user: link state, "Kirim Ulang" once expired;
                                         for "Lainnya" waiting: data, selfie, registry
                                         results, "Setujui" / "Tolak" with a reason (B5)
``/bsre/verifikator/<id>/foto-diri.jpg`` the selfie, for the officer only
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from gerbang_sidecar.domain.bsre.activation_form import INVITATION_FIELDS
from gerbang_sidecar.domain.form_rules import MAX_REASON
from gerbang_sidecar.services.bsre.invitations import (
    Invitations,
    LinkState,
    NotExpired,
    Resent,
)
from gerbang_sidecar.services.bsre.verification import (
    Decided,
    ReasonMissing,
    Verification,
)
from gerbang_sidecar.services.notifications import WIB
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.web.bsre.access import officer, officer_required
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import temporary_problem
from gerbang_sidecar.web.forms import add_form_errors, add_identifier_error, form_page
from gerbang_sidecar.web.locale import get_locale
from gerbang_sidecar.web.security_headers import UPLOADED_DOCUMENT_CSP

bp = Blueprint("bsre_verifier", __name__, url_prefix="/bsre/verifikator")


class InviteForm(FlaskForm):
    name = StringField("bsre.field.name")
    nik = StringField("bsre.field.nik")
    email = StringField("bsre.field.email")
    instansi = StringField("bsre.field.instansi")


class DecisionForm(FlaskForm):
    reason = TextAreaField("bsre.verify.reason", validators=[Length(max=MAX_REASON * 2)])


def _invitations() -> Invitations:
    return services().bsre_invitations


def _verification() -> Verification:
    return services().bsre_verification


def wib(moment: Any) -> str:
    return moment.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB") if moment else ""


@bp.get("")
@officer_required
def users() -> ResponseReturnValue:
    try:
        state = LinkState(request.args.get("status", "")) if request.args.get("status") \
            else None
    except ValueError:
        state = None
    page = request.args.get("page", "1")
    query = request.args.get("q", "")[:254]
    found = _invitations().page(officer(), state, int(page) if page.isdigit() else 1, query)
    return render_template("bsre/verifier/users.html", found=found, state=state,
                           states=list(LinkState), wib=wib, officer=officer(), query=query)


def _invite_page(form: InviteForm, **context: Any) -> ResponseReturnValue:
    for name in INVITATION_FIELDS:
        form[name].flags.required = True
    return form_page("bsre/verifier/invite.html", form, officer=officer(), **context)


@bp.route("/daftarkan", methods=["GET", "POST"])
@officer_required
def invite() -> ResponseReturnValue:
    if request.method == "GET":
        return _invite_page(InviteForm(formdata=None))
    form = InviteForm()
    if not form.validate_on_submit():
        return _invite_page(form)
    result = _invitations().register(
        officer(), {n: form[n].data for n in INVITATION_FIELDS},
        instansi=form.instansi.data, locale=get_locale())
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return _invite_page(form)
    if isinstance(result, TemporaryProblem):
        return temporary_problem("bsre/verifier/invite.html", form=form, officer=officer())
    flash("bsre.invite.sent", "success")
    return redirect(url_for(".user", registration_id=result.registration_id))


def _user_page(registration_id: int, form: DecisionForm | None = None, *,
               outage: bool = False) -> ResponseReturnValue:
    summary = _invitations().summary(officer(), registration_id)
    if summary is None:
        abort(404)
    waiting = _verification().waiting(officer(), registration_id)
    render = temporary_problem if outage else form_page
    return render("bsre/verifier/user.html", form=form or DecisionForm(formdata=None),
                  item=summary, waiting=waiting, wib=wib)


@bp.get("/<int:registration_id>")
@officer_required
def user(registration_id: int) -> ResponseReturnValue:
    return _user_page(registration_id)


@bp.post("/<int:registration_id>/kirim-ulang")
@officer_required
def resend(registration_id: int) -> ResponseReturnValue:
    if not DecisionForm().validate_on_submit():
        return _user_page(registration_id)
    result = _invitations().resend(officer(), registration_id)
    if result is None:
        abort(404)
    if isinstance(result, TemporaryProblem):
        return _user_page(registration_id, outage=True)
    if isinstance(result, NotExpired):
        flash("bsre.invite.not_expired", "warning")
    elif isinstance(result, Resent):
        flash("bsre.invite.resent", "success")
    return redirect(url_for(".user", registration_id=registration_id))


@bp.get("/<int:registration_id>/foto-diri.jpg")
@officer_required
def selfie(registration_id: int) -> ResponseReturnValue:
    content = _verification().selfie(officer(), registration_id)
    if content is None:
        abort(404)
    return content, 200, {"Content-Type": "image/jpeg", "Cache-Control": "no-store",
                          "Content-Security-Policy": UPLOADED_DOCUMENT_CSP}


@bp.post("/<int:registration_id>/setujui")
@officer_required
def approve(registration_id: int) -> ResponseReturnValue:
    form = DecisionForm()
    if not form.validate_on_submit():
        return _user_page(registration_id, form)
    result = _verification().approve(officer(), registration_id)
    if isinstance(result, TemporaryProblem):
        return _user_page(registration_id, form, outage=True)
    flash("bsre.verify.approved" if isinstance(result, Decided) else "bsre.verify.not_waiting",
          "success" if isinstance(result, Decided) else "warning")
    return redirect(url_for(".user", registration_id=registration_id))


@bp.post("/<int:registration_id>/tolak")
@officer_required
def reject(registration_id: int) -> ResponseReturnValue:
    form = DecisionForm()
    if not form.validate_on_submit():
        return _user_page(registration_id, form)
    result = _verification().reject(officer(), registration_id, form.reason.data or "")
    if isinstance(result, ReasonMissing):
        add_identifier_error(form, result.error, "reason")
        return _user_page(registration_id, form)
    if isinstance(result, TemporaryProblem):
        return _user_page(registration_id, form, outage=True)
    flash("bsre.verify.rejected" if isinstance(result, Decided) else "bsre.verify.not_waiting",
          "success" if isinstance(result, Decided) else "warning")
    return redirect(url_for(".user", registration_id=registration_id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
