"""The officer's pages on existing BSrE accounts (B11): find an account of the instansi by
email, disable it, file the reset-authenticator request with its three documents; the RA's
queue of those requests with the documents, approve or reject. Accounts outside the
officer's instansi answer 404 like missing ones.

``/bsre/verifikator/akun?q=``                         find by email, NIK, NIP or name
``/bsre/verifikator/akun/<user_id>``                  the account, its requests and its
                                                      certificates (officer_certificates.py)
``/bsre/verifikator/akun/<user_id>/nonaktifkan``      (POST) disable, with a reason
``/bsre/verifikator/akun/<user_id>/reset-authenticator`` (POST) the three uploads
``/bsre/verifikator/akun/<user_id>/ubah``             (POST) a change the user confirms (B13)
``/bsre/verifikator/reset-authenticator``             the RA's queue
``/bsre/verifikator/reset-authenticator/<id>/<kind>`` a document, inline in a sandbox
``/bsre/verifikator/reset-authenticator/<id>/putuskan`` (POST) approve / reject
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from gerbang_sidecar.domain.certificates.profiles import AVAILABLE
from gerbang_sidecar.services.bsre.compromised_accounts import (
    DOCUMENTS,
    MAX_DOCUMENT_BYTES,
    CompromisedAccounts,
    Done,
)
from gerbang_sidecar.services.bsre.profile_changes import OFFICER_FIELDS, Requested
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.web.bsre.access import officer, officer_required
from gerbang_sidecar.web.bsre.certificates import ActionForm, RevokeForm
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import error_page
from gerbang_sidecar.web.forms import add_form_errors, add_identifier_error, form_page
from gerbang_sidecar.web.request_limits import MULTIPART_ALLOWANCE, accepts_body
from gerbang_sidecar.web.security_headers import UPLOADED_DOCUMENT_CSP

bp = Blueprint("bsre_accounts", __name__, url_prefix="/bsre/verifikator")


class FindForm(FlaskForm):
    q = StringField("bsre.accounts.query")


class DisableForm(FlaskForm):
    reason = TextAreaField("bsre.accounts.disable_reason")


class ResetForm(FlaskForm):
    formulir = FileField("bsre.accounts.doc.formulir")
    antivirus = FileField("bsre.accounts.doc.antivirus")
    email_password = FileField("bsre.accounts.doc.email_password")


class DecideForm(FlaskForm):
    reason = TextAreaField("bsre.verify.reason")


class ProposeForm(FlaskForm):
    """B13: an officer's change, which the user confirms by mail link."""

    field = SelectField("bsre.change.which", choices=[
        SelectChoice(f, f"bsre.change.field.{f}") for f in OFFICER_FIELDS],
        validate_choice=False)
    value = StringField("bsre.change.new_value")


def _service() -> CompromisedAccounts:
    return services().bsre_compromised


@bp.get("/akun")
@officer_required
def find() -> ResponseReturnValue:
    query = request.args.get("q", "")
    found = _service().search(officer(), query) if query else []
    if len(found) == 1:
        return redirect(url_for(".account", user_id=found[0].id))
    form = FindForm(formdata=None, data={"q": query})
    return render_template("bsre/accounts/find.html", form=form, found=found,
                           searched=bool(query))


def _account_page(user_id: str, disable: DisableForm | None = None,
                  reset: ResetForm | None = None,
                  change: ProposeForm | None = None) -> ResponseReturnValue:
    found = _service().account(officer(), user_id[:64])
    if found is None:
        abort(404)
    form = disable or DisableForm(formdata=None)
    reset = reset or ResetForm(formdata=None)
    change = change or ProposeForm(formdata=None)
    status = 422 if form.errors or reset.errors or change.errors else 200
    return render_template("bsre/accounts/account.html", account=found, form=form,
                           reset=reset, change=change, documents=DOCUMENTS,
                           certificates=services().certificates.certificates(user_id[:64]),
                           action=ActionForm(formdata=None), revoke=RevokeForm(formdata=None),
                           products=AVAILABLE), status


@bp.post("/akun/<user_id>/ubah")
@officer_required
def propose(user_id: str) -> ResponseReturnValue:
    form = ProposeForm()
    if not form.validate_on_submit():
        return _account_page(user_id, change=form)
    result = services().bsre_profile_changes.propose(officer(), user_id[:64],
                                                     form.field.data or "", form.value.data)
    if isinstance(result, FormErrors):
        for error in result.errors.values():
            add_identifier_error(form, error, "value")
        return _account_page(user_id, change=form)
    if isinstance(result, TemporaryProblem):
        return error_page(503)
    if not isinstance(result, Requested):
        abort(404)
    flash("bsre.change.proposed", "success")
    return redirect(url_for(".account", user_id=user_id))


@bp.get("/akun/<user_id>")
@officer_required
def account(user_id: str) -> ResponseReturnValue:
    return _account_page(user_id)


@bp.post("/akun/<user_id>/nonaktifkan")
@officer_required
def disable(user_id: str) -> ResponseReturnValue:
    form = DisableForm()
    if not form.validate_on_submit():
        return _account_page(user_id, disable=form)
    result = _service().disable(officer(), user_id[:64], form.reason.data or "")
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return _account_page(user_id, disable=form)
    if not isinstance(result, Done):
        abort(404)
    flash("bsre.accounts.disabled", "success")
    return redirect(url_for(".account", user_id=user_id))


@bp.post("/akun/<user_id>/reset-authenticator")
@accepts_body(3 * MAX_DOCUMENT_BYTES + MULTIPART_ALLOWANCE)
@officer_required
def request_reset(user_id: str) -> ResponseReturnValue:
    form = ResetForm()
    if not form.validate_on_submit():
        return _account_page(user_id, reset=form)
    uploads = {kind: (form[kind].data.stream.read(MAX_DOCUMENT_BYTES + 1)
                      if form[kind].data else b"") for kind in DOCUMENTS}
    result = _service().request_reset(officer(), user_id[:64], uploads)
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return _account_page(user_id, reset=form)
    if not isinstance(result, Done):
        abort(404)
    flash("bsre.accounts.reset_requested", "success")
    return redirect(url_for(".account", user_id=user_id))


@bp.get("/reset-authenticator")
@officer_required
def reset_queue() -> ResponseReturnValue:
    if not officer().is_ra:
        return error_page(403, title_key="bsre.accounts.ra_only.title",
                          text_key="bsre.accounts.ra_only.text")
    return form_page("bsre/accounts/reset_queue.html", DecideForm(formdata=None),
                     waiting=_service().waiting(officer()), documents=DOCUMENTS)


@bp.get("/reset-authenticator/<int:request_id>/<kind>")
@officer_required
def reset_document(request_id: int, kind: str) -> ResponseReturnValue:
    found = _service().document(officer(), request_id, kind) if kind in DOCUMENTS else None
    if found is None:
        abort(404)
    content, media_type = found
    return content, 200, {"Content-Type": media_type, "Cache-Control": "no-store",
                          "Content-Disposition": f"inline; filename={kind}",
                          "Content-Security-Policy": UPLOADED_DOCUMENT_CSP}


@bp.post("/reset-authenticator/<int:request_id>/putuskan")
@officer_required
def decide_reset(request_id: int) -> ResponseReturnValue:
    form = DecideForm()
    if not form.validate_on_submit():
        abort(400)
    approve = request.form.get("decision") == "approve"
    result = _service().decide_reset(officer(), request_id, approve=approve,
                                     reason=form.reason.data or "")
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return form_page("bsre/accounts/reset_queue.html", form,
                         waiting=_service().waiting(officer()), documents=DOCUMENTS)
    if isinstance(result, TemporaryProblem):
        return error_page(503)
    if not isinstance(result, Done):
        flash("bsre.verify.not_waiting", "warning")
    else:
        flash("bsre.accounts.reset_approved" if approve else "bsre.accounts.reset_rejected",
              "success")
    return redirect(url_for(".reset_queue"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
