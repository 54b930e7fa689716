"""Public verification of signed PDFs (issue 12 item 9), for anyone, without a login.

``/verifikasi``        upload a PDF, read the report (Indonesian or English)
``/verifikasi.json``   the same check as JSON (POST the PDF as ``document``)

Size-limited (10 MB) and rate-limited per client; the PDF is never stored.
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from gerbang_sidecar.services.certificates.public_verification import MAX_PDF_BYTES, Report
from gerbang_sidecar.services.results import FormErrors
from gerbang_sidecar.texts import message
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.forms import add_form_errors, csrf, form_page
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import get_locale
from gerbang_sidecar.web.rate_limit import rate_limited

bp = Blueprint("public_verification", __name__)
LIMIT, WINDOW, CEILING = 20, 600, 600


class VerifyForm(FlaskForm):
    document = FileField("cert.sign.document")


@bp.route("/verifikasi", methods=["GET", "POST"])
@rate_limited(LIMIT, WINDOW, ceiling=CEILING)
def verify() -> ResponseReturnValue:
    use_portal("bsre")
    request.max_content_length = MAX_PDF_BYTES + 512 * 1024
    if request.method == "GET":
        return form_page("bsre/verification.html", VerifyForm(formdata=None), report=None)
    form = VerifyForm()
    if not form.validate_on_submit():
        return form_page("bsre/verification.html", form, report=None)
    upload = form.document.data
    result = services().public_verification.verify(
        upload.stream.read(MAX_PDF_BYTES + 1) if upload else b"")
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return form_page("bsre/verification.html", form, report=None)
    return form_page("bsre/verification.html", VerifyForm(formdata=None), report=result)


@bp.post("/verifikasi.json")
@csrf.exempt
@rate_limited(LIMIT, WINDOW, ceiling=CEILING)
def verify_json() -> ResponseReturnValue:
    request.max_content_length = MAX_PDF_BYTES + 512 * 1024
    upload = request.files.get("document")
    result = services().public_verification.verify(
        upload.stream.read(MAX_PDF_BYTES + 1) if upload else b"")
    if isinstance(result, FormErrors):
        return jsonify({"errors": {k: message(v, get_locale())
                                   for k, v in result.errors.items()}}), 422
    return jsonify(_as_json(result))


def _as_json(report: Report) -> dict[str, object]:
    return {"valid": report.all_valid, "signatures": [{
        "field": s.field, "signer": s.signer, "serial_number": s.serial_number,
        "issuer": s.issuer, "signed_at": s.signed_at.isoformat() if s.signed_at else None,
        "intact": s.intact, "trusted": s.trusted, "revoked_now": s.revoked_now,
        "covers_whole_document": s.covers_whole_document,
        "modified_after_signing": s.modified_after} for s in report.signatures]}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
