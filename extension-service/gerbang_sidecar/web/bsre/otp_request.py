"""B9 "Permohonan OTP", public: the Helpdesk form, then the "Pengecekan Data Diri" link.

``/bsre/permohonan-otp``                    the form (Nama Lengkap, Asal Instansi, Nomor
                                            Telepon/HP, NIK, Deskripsi); the same answer
                                            whoever is named (X1)
``/bsre/permohonan-otp/terkirim``           "if the data match an account, an email follows"
``/bsre/pengecekan-data-diri/t/<token>``    the mailed link; the token moves to the session
``/bsre/pengecekan-data-diri``              the selfie ("Ambil Foto" or a file), then
                                            "Pengecekan data diri berhasil"
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField

from gerbang_sidecar.ports.selfies import MAX_SELFIE_BYTES
from gerbang_sidecar.services.bsre.otp_requests import FIELDS, CheckDead, Checked, OtpRequests
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import temporary_problem
from gerbang_sidecar.web.forms import add_form_errors, form_page
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import get_locale
from gerbang_sidecar.web.mailed_links import MailedLink
from gerbang_sidecar.web.rate_limit import (
    limit_face_checks,
    limit_identifier_per_site,
    rate_limited,
)
from gerbang_sidecar.web.request_limits import MULTIPART_ALLOWANCE, accepts_body
from gerbang_sidecar.web.security_headers import camera_page_headers

REALM = "bsre"
LINK = MailedLink("bsre_identity_check", "bsre.check.dead.title", "bsre.check.dead.text")
FORM_LIMIT, FORM_WINDOW, FORM_CEILING = 5, 3600, 300
# Per NIK and site a day, and SITES_PER_NIK times that from everyone: the answer tells
# nothing (X1), so a stranger who knows a NIK spends only their site's share and the owner
# still gets through from elsewhere (one count for everyone let a stranger lock the owner
# out of recovering a lost device for a day: found by review).
NIK_LIMIT, NIK_WINDOW, SITES_PER_NIK = 3, 86400, 4
CHECK_LIMIT, CHECK_WINDOW = 10, 3600

bp = Blueprint("bsre_otp_request", __name__, url_prefix="/bsre")


class RequestForm(FlaskForm):
    name = StringField("bsre.field.name")
    instansi = StringField("bsre.otp_request.instansi")
    phone = StringField("bsre.otp_request.phone")
    nik = StringField("bsre.field.nik")
    description = TextAreaField("bsre.otp_request.description")


class CheckForm(FlaskForm):
    photo = FileField("bsre.field.photo")


def _service() -> OtpRequests:
    return services().bsre_otp_requests


@bp.route("/permohonan-otp", methods=["GET", "POST"])
@rate_limited(FORM_LIMIT, FORM_WINDOW, ceiling=FORM_CEILING)
def request_form() -> ResponseReturnValue:
    use_portal(REALM)
    form = RequestForm() if request.method == "POST" else RequestForm(formdata=None)
    for name in ("name", "instansi", "phone", "nik"):
        form[name].flags.required = True
    if request.method == "GET" or not form.validate_on_submit():
        return form_page("bsre/otp_request/form.html", form)
    limit_identifier_per_site("bsre_otp_request.nik", form.nik.data or "", NIK_LIMIT,
                              NIK_WINDOW, sites=SITES_PER_NIK)
    result = _service().submit({f: form[f].data for f in FIELDS}, get_locale())
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return form_page("bsre/otp_request/form.html", form)
    if isinstance(result, TemporaryProblem):
        return temporary_problem("bsre/otp_request/form.html", form=form)
    return redirect(url_for(".received"))


@bp.get("/permohonan-otp/terkirim")
def received() -> ResponseReturnValue:
    use_portal(REALM)
    return render_template("bsre/otp_request/received.html")


@bp.get("/pengecekan-data-diri/t/<token>")
def start_check(token: str) -> ResponseReturnValue:
    use_portal(REALM)
    return LINK.enter(token, usable=_service().open(token) is not None, endpoint=".check")


@bp.route("/pengecekan-data-diri", methods=["GET", "POST"])
@accepts_body(MAX_SELFIE_BYTES + MULTIPART_ALLOWANCE)
@rate_limited(CHECK_LIMIT, CHECK_WINDOW)
def check() -> ResponseReturnValue:
    use_portal(REALM)
    token = LINK.token()
    if token is None or _service().open(token) is None:
        return LINK.dead()
    form = CheckForm() if request.method == "POST" else CheckForm(formdata=None)
    if request.method == "GET" or not form.validate_on_submit():
        return form_page("bsre/otp_request/check.html", form)
    upload = form.photo.data
    limit_face_checks(token)
    result = _service().check(token, upload.stream.read(MAX_SELFIE_BYTES + 1) if upload else b"")
    if isinstance(result, CheckDead):
        return LINK.dead()
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return form_page("bsre/otp_request/check.html", form)
    if isinstance(result, TemporaryProblem):
        return temporary_problem("bsre/otp_request/check.html", form=form)
    assert isinstance(result, Checked)
    LINK.forget()
    return render_template("bsre/otp_request/checked.html")


@bp.after_request
def _camera_on_the_check(response: Response) -> Response:
    if request.endpoint == "bsre_otp_request.check":
        response.headers.update(camera_page_headers(services().settings))
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
