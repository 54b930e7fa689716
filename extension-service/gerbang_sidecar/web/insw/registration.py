"""INSW "Buat Akun" (I0–I3): three steps over ``InswRegistrations``, thin views.

``/insw/daftar``              1. NIB, NPWP, NIK of the Penanggung Jawab (checked with OSS)
``/insw/daftar/data-diri``    2. the responsible person's own data
``/insw/daftar/surat-kuasa``  3. the Surat Kuasa (PDF, at most 1 MB), the terms, "Daftar"
``/insw/daftar/terima-kasih`` reviewed within 1x24 hours (I4)

"Kembali" on a step shows the one before with everything typed. The registration's token
lives in the Flask session (a signed, HttpOnly cookie), never in a URL.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField

from gerbang_sidecar.domain.insw.registration_form import (
    MAX_DOCUMENT_BYTES,
    ORGANISATION_FIELDS,
    PERSON_FIELDS,
)
from gerbang_sidecar.services.insw.registration import (
    InReview,
    InswRegistrations,
    NotStarted,
    StepDone,
)
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import temporary_problem
from gerbang_sidecar.web.forms import add_form_errors, form_page
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import get_locale
from gerbang_sidecar.web.rate_limit import limit_identifier, rate_limited
from gerbang_sidecar.web.request_limits import accepts_body

REALM = "insw"
SESSION_KEY = "insw_registration"
# The token of the registration this browser sent for review: its thank-you page, while a
# new registration starts empty (a shared computer's next user sees no earlier form).
SUBMITTED_KEY = "insw_registration_submitted"
STEP_LIMIT, WINDOW_SECONDS, STEP_CEILING = 30, 600, 600
IDENTIFIER_LIMIT, IDENTIFIER_WINDOW = 10, 3600
# A request a little over the document's limit still reaches the page, which says so beside
# the field; anything far bigger is cut off by the server (413).
_UPLOAD_REQUEST_LIMIT = 2 * MAX_DOCUMENT_BYTES

bp = Blueprint("insw_registration", __name__, url_prefix="/insw/daftar")


class OrganisationForm(FlaskForm):
    nib = StringField("insw.reg.field.nib")
    npwp = StringField("insw.reg.field.npwp")
    nik = StringField("insw.reg.field.nik")


class PersonForm(FlaskForm):
    name = StringField("insw.reg.field.name")
    position = StringField("insw.reg.field.position")
    email = StringField("insw.reg.field.email")
    phone = StringField("insw.reg.field.phone")


class DocumentForm(FlaskForm):
    surat_kuasa = FileField("insw.reg.field.surat_kuasa")
    terms = BooleanField("insw.reg.terms")


HELP = {"nib": "insw.reg.help.nib", "npwp": "insw.reg.help.npwp", "nik": "insw.reg.help.nik",
        "email": "insw.reg.help.email", "phone": "insw.reg.help.phone",
        "surat_kuasa": "insw.reg.help.surat_kuasa"}
INPUT_ATTRS: dict[str, dict[str, str]] = {
    "nib": {"inputmode": "numeric", "autocomplete": "off", "maxlength": "13"},
    "npwp": {"inputmode": "numeric", "autocomplete": "off", "maxlength": "20"},
    "nik": {"inputmode": "numeric", "autocomplete": "off", "maxlength": "16"},
    "name": {"autocomplete": "name"},
    "position": {"autocomplete": "organization-title"},
    "email": {"type": "email", "autocomplete": "email"},
    "phone": {"type": "tel", "autocomplete": "tel"},
    "surat_kuasa": {"accept": "application/pdf,.pdf"},
}


def _service() -> InswRegistrations:
    return services().insw_registrations


def _token(key: str = SESSION_KEY) -> str | None:
    token = session.get(key)
    return token if isinstance(token, str) else None


def _sent_from_here() -> InReview | None:
    """This browser's registration in review, under either key: of a double click's two
    answers, the browser keeps the last cookie."""
    return _service().in_review(_token(SUBMITTED_KEY)) or _service().in_review(_token())


def _finished_or_first_step() -> ResponseReturnValue:
    """Where a step without a registration in progress goes: the thank-you page when this
    browser's registration is already in review (a second click on "Daftar", the back
    button), else step 1."""
    if _sent_from_here() is not None:
        return redirect(url_for(".thank_you"))
    return redirect(url_for(".organisation"))


def _required(form: FlaskForm) -> FlaskForm:
    for f in form:
        if f.name != "csrf_token":
            f.flags.required = True  # every field is mandatory (I1-I3): the page marks it
    return form


def _page(template: str, form: FlaskForm, step: int, *, outage: bool = False,
          **context: Any) -> ResponseReturnValue:
    """The step's page: 200 or 422 by the form's errors; 503 with every value kept when an
    outside system (OSS, the database) could not answer (X5)."""
    render = temporary_problem if outage else form_page
    return render(f"insw/registration/{template}", form=_required(form), step=step,
                  help=HELP, input_attrs=INPUT_ATTRS, **context)



@bp.route("", methods=["GET", "POST"])
@rate_limited(STEP_LIMIT, WINDOW_SECONDS, ceiling=STEP_CEILING)
def organisation() -> ResponseReturnValue:
    use_portal(REALM)
    if request.method == "GET":
        form = OrganisationForm(formdata=None)
        kept = (_service().progress(_token()) or {}).get("organisation", {})
        for name in ORGANISATION_FIELDS:
            form[name].data = kept.get(name, "")
        return _page("organisation.html", form, 1)
    form = OrganisationForm()
    if not form.validate_on_submit():
        return _page("organisation.html", form, 1)
    typed = {name: form[name].data or "" for name in ORGANISATION_FIELDS}
    for name in ORGANISATION_FIELDS:
        limit_identifier(f"insw_registration.{name}", typed[name], IDENTIFIER_LIMIT,
                         IDENTIFIER_WINDOW)
    result = _service().organisation(typed, _token(), get_locale())
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return _page("organisation.html", form, 1)
    if isinstance(result, TemporaryProblem):
        return _page("organisation.html", form, 1, outage=True)
    assert isinstance(result, StepDone)
    session[SESSION_KEY] = result.token
    session.pop(SUBMITTED_KEY, None)
    return redirect(url_for(".person"))


@bp.route("/data-diri", methods=["GET", "POST"])
@rate_limited(STEP_LIMIT, WINDOW_SECONDS)
def person() -> ResponseReturnValue:
    use_portal(REALM)
    token = _token()
    progress = _service().progress(token)
    if token is None or progress is None:
        return _finished_or_first_step()
    if request.method == "GET":
        form = PersonForm(formdata=None)
        for name in PERSON_FIELDS:
            form[name].data = progress.get("person_form", {}).get(name, "")
        return _page("person.html", form, 2, organisation=progress["organisation"]["name"])
    form = PersonForm()
    if not form.validate_on_submit():
        return _page("person.html", form, 2, organisation=progress["organisation"]["name"])
    result = _service().person(token, {name: form[name].data or "" for name in PERSON_FIELDS})
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return _page("person.html", form, 2, organisation=progress["organisation"]["name"])
    if isinstance(result, TemporaryProblem):
        return _page("person.html", form, 2, outage=True,
                     organisation=progress["organisation"]["name"])
    if isinstance(result, NotStarted):
        return _finished_or_first_step()
    return redirect(url_for(".document"))


@bp.route("/surat-kuasa", methods=["GET", "POST"])
@accepts_body(_UPLOAD_REQUEST_LIMIT)
@rate_limited(STEP_LIMIT, WINDOW_SECONDS)
def document() -> ResponseReturnValue:
    use_portal(REALM)
    token = _token()
    progress = _service().progress(token)
    if token is None or progress is None:
        return _finished_or_first_step()
    if "person" not in progress:
        return redirect(url_for(".person"))
    context = {"organisation": progress["organisation"]["name"]}
    if request.method == "GET":
        return _page("document.html", DocumentForm(formdata=None), 3, **context)
    form = DocumentForm()
    if not form.validate_on_submit():
        return _page("document.html", form, 3, **context)
    upload = form.surat_kuasa.data
    content = upload.stream.read(MAX_DOCUMENT_BYTES + 1) if upload else b""
    result = _service().submit(token, content, "y" if form.terms.data else "")
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return _page("document.html", form, 3, **context)
    if isinstance(result, TemporaryProblem):
        return _page("document.html", form, 3, outage=True, **context)
    if isinstance(result, NotStarted):
        return _finished_or_first_step()
    assert isinstance(result, InReview)
    session[SUBMITTED_KEY] = session.pop(SESSION_KEY)
    return redirect(url_for(".thank_you"))


@bp.get("/terima-kasih")
def thank_you() -> ResponseReturnValue:
    use_portal(REALM)
    found = _sent_from_here()
    if found is None:
        return redirect(url_for(".organisation"))
    return render_template("insw/registration/thanks.html", registration=found)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
