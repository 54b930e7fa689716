"""The INSW reviewer's pages (I4) and the INSW Home.

``/insw/review``                        the queue, oldest first, overdue marked
``/insw/review/<id>``                   one registration: organisation, OSS match, person,
                                        the Surat Kuasa; "Setujui" / "Tolak" with a reason
``/insw/review/<id>/surat-kuasa.pdf``   the document, shown inline in a sandbox
``/insw/home``                          where an INSW login lands

Reviewers log in through Keycloak like everyone (``insw-portal``); only the ``reviewer``
realm role opens the review pages, checked on every request.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from gerbang_sidecar.domain.form_rules import MAX_REASON
from gerbang_sidecar.domain.insw import usernames
from gerbang_sidecar.services.insw.review import (
    JAKARTA,
    REVIEWER,
    Approved,
    InswReview,
    ReasonMissing,
    Rejected,
)
from gerbang_sidecar.services.results import TemporaryProblem
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import temporary_problem
from gerbang_sidecar.web.forms import add_identifier_error, form_page
from gerbang_sidecar.web.held_roles import held_role_required
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.portal_login import portal_login_required
from gerbang_sidecar.web.security_headers import UPLOADED_DOCUMENT_CSP

REALM = "insw"
CLIENT = "insw-portal"
bp = Blueprint("insw_review", __name__)


class RejectForm(FlaskForm):
    reason = TextAreaField("insw.review.reason", validators=[Length(max=MAX_REASON * 2)])


def _review() -> InswReview:
    return services().insw_review


# I4: reviewers only, the role asked of Keycloak on every request.
reviewer_only = held_role_required(REALM, REVIEWER, title_key="insw.review.forbidden.title",
                                   text_key="insw.review.forbidden.text")


@bp.get("/insw/review")
@portal_login_required(REALM, CLIENT)
@reviewer_only
def queue() -> ResponseReturnValue:
    waiting = _review().queue()
    submitted = {item.registration_id: item.submitted_at.astimezone(JAKARTA)
                 .strftime("%d-%m-%Y %H:%M WIB") for item in waiting}
    return render_template("insw/review/queue.html", waiting=waiting, submitted=submitted)


def _detail(registration_id: int, form: RejectForm, *,
            outage: bool = False) -> ResponseReturnValue:
    waiting = _review().waiting(registration_id)
    if waiting is None:
        abort(404)
    render = temporary_problem if outage else form_page
    return render("insw/review/detail.html", form=form, item=waiting)


@bp.get("/insw/review/<int:registration_id>")
@portal_login_required(REALM, CLIENT)
@reviewer_only
def detail(registration_id: int) -> ResponseReturnValue:
    return _detail(registration_id, RejectForm(formdata=None))


@bp.get("/insw/review/<int:registration_id>/surat-kuasa.pdf")
@portal_login_required(REALM, CLIENT)
@reviewer_only
def surat_kuasa(registration_id: int) -> ResponseReturnValue:
    content = _review().surat_kuasa(registration_id)
    if content is None:
        abort(404)
    return content, 200, {"Content-Type": "application/pdf",
                          "Content-Disposition": "inline; filename=surat-kuasa.pdf",
                          "Content-Security-Policy": UPLOADED_DOCUMENT_CSP}


@bp.post("/insw/review/<int:registration_id>/setujui")
@portal_login_required(REALM, CLIENT)
@reviewer_only
def approve(registration_id: int) -> ResponseReturnValue:
    form = RejectForm()
    if not form.validate_on_submit():
        return _detail(registration_id, form)
    result = _review().approve(registration_id, g.portal_user.sub)
    if isinstance(result, TemporaryProblem):
        return _detail(registration_id, form, outage=True)
    if isinstance(result, Approved):
        flash("insw.review.approved", "success")
    else:
        flash("insw.review.already_decided", "warning")
    return redirect(url_for(".queue"))


@bp.post("/insw/review/<int:registration_id>/tolak")
@portal_login_required(REALM, CLIENT)
@reviewer_only
def reject(registration_id: int) -> ResponseReturnValue:
    form = RejectForm()
    if not form.validate_on_submit():
        return _detail(registration_id, form)
    result = _review().reject(registration_id, g.portal_user.sub, form.reason.data or "")
    if isinstance(result, ReasonMissing):
        add_identifier_error(form, result.error, "reason")
        return _detail(registration_id, form)
    if isinstance(result, TemporaryProblem):
        return _detail(registration_id, form, outage=True)
    if isinstance(result, Rejected):
        flash("insw.review.rejected", "success")
    else:
        flash("insw.review.already_decided", "warning")
    return redirect(url_for(".queue"))


@bp.get("/insw/home")
@portal_login_required(REALM, CLIENT)
def home() -> ResponseReturnValue:
    use_portal(REALM)
    return render_template("insw/home.html", user=g.portal_user,
                           username=usernames.shown(g.portal_user.username),
                           is_reviewer=g.portal_user.has_role(REVIEWER))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
