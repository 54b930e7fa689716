"""The activation wizard behind the "Aktivasi Akun" link (B2–B4), thin views over
``services.bsre.activation``.

``/bsre/aktivasi/t/<token>``     the mailed link: the token moves into the session cookie
                                 and leaves the URL (history, Referer)
``/bsre/aktivasi/data-diri``     1. name, NIK, email, Nomor HP + WhatsApp code
``/bsre/aktivasi/kedinasan``     2. ASN dan POLRI (NIP/NRP, "Cek NIP / NRP") or Lainnya
``/bsre/aktivasi/foto-diri``     3. the selfie ("Ambil Foto" / "Capture" / "Simpan", or a
                                 file), two consents, "Submit"
``/bsre/aktivasi/selesai``       the activation step is complete
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice

from gerbang_sidecar.domain.bsre.activation_form import PERSONAL_FIELDS, SERVICE_FIELDS
from gerbang_sidecar.domain.identifiers import IdentifierError, parse_mobile_number
from gerbang_sidecar.domain.one_time_code import B2_WHATSAPP
from gerbang_sidecar.domain.throttle import TooEarly
from gerbang_sidecar.ports.selfies import MAX_SELFIE_BYTES
from gerbang_sidecar.services.bsre.activation import (
    Activation,
    CodeSent,
    LinkDead,
    PhoneVerified,
    Progress,
    Submitted,
)
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import temporary_problem
from gerbang_sidecar.web.forms import (
    add_field_error,
    add_form_errors,
    form_page,
)
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.mailed_links import MailedLink
from gerbang_sidecar.web.rate_limit import limit_face_checks, rate_limited, send_code_to
from gerbang_sidecar.web.request_limits import MULTIPART_ALLOWANCE, accepts_body
from gerbang_sidecar.web.security_headers import camera_page_headers

REALM = "bsre"
LINK = MailedLink("bsre_activation", "bsre.activation.dead.title",
                  "bsre.activation.dead.text")
DONE_KEY = "bsre_activation_done"
STEP_LIMIT, WINDOW_SECONDS = 60, 600
# A photo a little over the limit still reaches the page, which says so beside the field.
_UPLOAD_REQUEST_LIMIT = MAX_SELFIE_BYTES + MULTIPART_ALLOWANCE

bp = Blueprint("bsre_activation", __name__, url_prefix="/bsre/aktivasi")


class PersonalForm(FlaskForm):
    name = StringField("bsre.field.name")
    nik = StringField("bsre.field.nik")
    phone = StringField("bsre.field.phone")
    code = StringField("bsre.field.code")


class ServiceForm(FlaskForm):
    status = RadioField("bsre.field.status", choices=[
        SelectChoice("asn-polri", "bsre.status.asn-polri"),
        SelectChoice("lainnya", "bsre.status.lainnya")], validate_choice=False)
    number_kind = RadioField("bsre.field.number_kind", choices=[
        SelectChoice("nip", "NIP"), SelectChoice("nrp", "NRP")], validate_choice=False)
    number = StringField("bsre.field.number")
    unit_organisasi = StringField("bsre.field.unit_organisasi")
    jabatan = StringField("bsre.field.jabatan")
    provinsi = StringField("bsre.field.provinsi")


class SelfieForm(FlaskForm):
    photo = FileField("bsre.field.photo")
    consent_data = BooleanField("bsre.consent.data")
    consent_privacy = BooleanField("bsre.consent.privacy")


def _service() -> Activation:
    return services().bsre_activation


def _progress() -> Progress | None:
    use_portal(REALM)
    return _service().open(LINK.token())



def _page(template: str, form: FlaskForm, step: int, progress: Progress, *,
          outage: bool = False, status: int | None = None,
          **context: Any) -> ResponseReturnValue:
    render = temporary_problem if outage else form_page
    body, rendered_status = render(f"bsre/activation/{template}", form=form, step=step,
                                   progress=progress, data=progress.data, **context)
    return body, status or rendered_status


@bp.get("/t/<token>")
def start(token: str) -> ResponseReturnValue:
    use_portal(REALM)
    return LINK.enter(token, usable=_service().open(token) is not None,
                      endpoint=".personal")


@bp.route("/data-diri", methods=["GET", "POST"])
@rate_limited(STEP_LIMIT, WINDOW_SECONDS)
def personal() -> ResponseReturnValue:
    progress = _progress()
    token = LINK.token()
    if progress is None or token is None:
        return LINK.dead()
    data = progress.data
    if request.method == "GET":
        form = PersonalForm(formdata=None)
        typed = data.get("personal_form") or {**data["invited"], "phone": ""}
        for name in PERSONAL_FIELDS:
            form[name].data = typed.get(name, "")
        form.nik.data = data["invited"]["nik"]
        return _personal_page(form, progress)
    form = PersonalForm()
    if not form.validate_on_submit():
        return _personal_page(form, progress)
    form.nik.data = data["invited"]["nik"]
    typed = {name: form[name].data or "" for name in PERSONAL_FIELDS}
    action = request.form.get("action", "next")
    if action == "send_code":
        sent = send_code_to(typed["phone"], B2_WHATSAPP,
                            lambda: _service().send_code(token, typed["phone"]), CodeSent)
        return _after_code(form, progress, sent)
    if action == "verify_code":
        verified = _service().verify_code(token, form.code.data)
        if isinstance(verified, PhoneVerified):
            return _personal_page(form, _service().open(token) or progress)
        return _after_code(form, progress, verified)
    result = _service().personal(token, typed)
    if isinstance(result, LinkDead):
        return LINK.dead()
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return _personal_page(form, progress)
    if isinstance(result, TemporaryProblem):
        return _personal_page(form, progress, outage=True)
    return redirect(url_for(".service"))


def _personal_page(form: PersonalForm, progress: Progress, **context: Any
                   ) -> ResponseReturnValue:
    """Step 1; "✓ Nomor terverifikasi" while the number shown is the one proven."""
    try:
        shown = parse_mobile_number(form.phone.data).e164
    except IdentifierError:
        shown = None
    proven = progress.phone_verified is not None and progress.phone_verified == shown
    return _page("personal.html", form, 1, progress, phone_proven=proven, **context)


def _after_code(form: PersonalForm, progress: Progress, result: Any) -> ResponseReturnValue:
    if isinstance(result, LinkDead):
        return LINK.dead()
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
    elif isinstance(result, TooEarly):
        add_field_error(form, "phone", "bsre.code.too_early")
        return _personal_page(form, progress, status=429,
                     wait=result.retry_after_seconds)
    elif isinstance(result, TemporaryProblem):
        return _personal_page(form, progress, outage=True)
    return _personal_page(form, progress,
                 code_sent=result if isinstance(result, CodeSent) else None)


@bp.route("/kedinasan", methods=["GET", "POST"])
@rate_limited(STEP_LIMIT, WINDOW_SECONDS)
def service() -> ResponseReturnValue:
    progress = _progress()
    token = LINK.token()
    if progress is None or token is None:
        return LINK.dead()
    if progress.step < 2:
        return redirect(url_for(".personal"))
    if request.method == "GET":
        form = ServiceForm(formdata=None)
        # B1 by NIP: the number BKN already matched is filled in.
        typed = progress.data.get("service_form") or {
            "status": "asn-polri", "number_kind": "nip", "number": progress.data.get("nip", "")}
        for name in SERVICE_FIELDS:
            form[name].data = typed.get(name, "")
        registry = progress.data.get("service", {}).get("registry")
        return _page("service.html", form, 2, progress, registry=registry)
    form = ServiceForm()
    if not form.validate_on_submit():
        return _page("service.html", form, 2, progress)
    result = _service().service(token, {n: form[n].data or "" for n in SERVICE_FIELDS})
    if isinstance(result, LinkDead):
        return LINK.dead()
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return _page("service.html", form, 2, progress)
    if isinstance(result, TemporaryProblem):
        return _page("service.html", form, 2, progress, outage=True)
    if request.form.get("action") == "check":
        return _page("service.html", form, 2, progress, registry=result)
    return redirect(url_for(".selfie"))


@bp.after_request
def _camera_on_the_selfie_step(response: Response) -> Response:
    if request.endpoint == "bsre_activation.selfie":
        response.headers.update(camera_page_headers(services().settings))
    return response


@bp.route("/foto-diri", methods=["GET", "POST"])
@accepts_body(_UPLOAD_REQUEST_LIMIT)
@rate_limited(STEP_LIMIT, WINDOW_SECONDS)
def selfie() -> ResponseReturnValue:
    progress = _progress()
    token = LINK.token()
    if progress is None or token is None:
        return LINK.dead()
    if progress.step < 3:
        return redirect(url_for(".service"))
    if request.method == "GET":
        return _page("selfie.html", SelfieForm(formdata=None), 3, progress)
    form = SelfieForm()
    if not form.validate_on_submit():
        return _page("selfie.html", form, 3, progress)
    if request.form.get("action") == "save_photo":
        upload = form.photo.data
        content = upload.stream.read(MAX_SELFIE_BYTES + 1) if upload else b""
        limit_face_checks(token)
        saved = _service().selfie(token, content)
        if isinstance(saved, LinkDead):
            return LINK.dead()
        if isinstance(saved, FormErrors):
            add_form_errors(form, saved.errors)
            return _page("selfie.html", form, 3, progress)
        if isinstance(saved, TemporaryProblem):
            return _page("selfie.html", form, 3, progress, outage=True)
        return _page("selfie.html", form, 3, _service().open(token) or progress,
                     photo_saved=True)
    submitted = _service().submit(token, {
        "consent_data": "y" if form.consent_data.data else "",
        "consent_privacy": "y" if form.consent_privacy.data else ""})
    if isinstance(submitted, LinkDead):
        return LINK.dead()
    if isinstance(submitted, FormErrors):
        add_form_errors(form, submitted.errors)
        return _page("selfie.html", form, 3, progress)
    if isinstance(submitted, TemporaryProblem):
        return _page("selfie.html", form, 3, progress, outage=True)
    assert isinstance(submitted, Submitted)
    LINK.forget()
    session[DONE_KEY] = "automatic" if submitted.automatic else "verifikator"
    return redirect(url_for(".done"))


@bp.get("/selesai")
def done() -> ResponseReturnValue:
    use_portal(REALM)
    outcome = session.get(DONE_KEY)
    if outcome not in ("automatic", "verifikator"):
        return redirect(url_for("pages.portal_home", realm=REALM))
    return render_template("bsre/activation/done.html", automatic=outcome == "automatic")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
