"""Public verification of signed PDFs (issue 12 item 9), for anyone, without a login.

``/verifikasi``        upload a PDF, read the report (Indonesian or English)
``/verifikasi.json``   the same check as JSON (POST the PDF as ``document``)

Each signature says how its certificate stood at signing time (the timestamp's time when
there is one) and how it stands now: valid, or revoked (when, why), expired, not yet valid.

Size-limited (10 MB) and rate-limited per client, by count and by the seconds its
verifications took; the PDF is never stored.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from gerbang_sidecar.domain.certificates.signature_validity import CertificateState
from gerbang_sidecar.services.certificates.public_verification import (
    MAX_PDF_BYTES,
    Report,
    SignatureReport,
)
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.texts import message
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import temporary_problem
from gerbang_sidecar.web.forms import add_form_errors, csrf, form_page
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import get_locale, t
from gerbang_sidecar.web.rate_limit import rate_limited, time_limited
from gerbang_sidecar.web.request_limits import MULTIPART_ALLOWANCE, accepts_body

bp = Blueprint("public_verification", __name__)
LIMIT, WINDOW, CEILING = 20, 600, 600
# Seconds of verifying per client in a WINDOW: a dozen large letters with many signatures
# (2.6-4 s each), three uploads that use up their ten seconds of CPU. Each upload reserves
# RESERVED_SECONDS (that CPU limit) while it runs: at most three at once per client.
SECONDS_PER_CLIENT = 30
RESERVED_SECONDS = 10
# The page and the JSON endpoint spend one budget: each costs the same verification.
SCOPE = "public_verification"


class VerifyForm(FlaskForm):
    document = FileField("cert.sign.document")


@bp.route("/verifikasi", methods=["GET", "POST"])
@accepts_body(MAX_PDF_BYTES + MULTIPART_ALLOWANCE)
@rate_limited(LIMIT, WINDOW, ceiling=CEILING, scope=SCOPE)
@time_limited(SECONDS_PER_CLIENT, WINDOW, scope=f"{SCOPE}.seconds", reserve=RESERVED_SECONDS)
def verify() -> ResponseReturnValue:
    use_portal("bsre")
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
    if isinstance(result, TemporaryProblem):
        return temporary_problem("bsre/verification.html", form=form, report=None)
    return form_page("bsre/verification.html", VerifyForm(formdata=None), report=result)


@bp.post("/verifikasi.json")
@accepts_body(MAX_PDF_BYTES + MULTIPART_ALLOWANCE)
@csrf.exempt
@rate_limited(LIMIT, WINDOW, ceiling=CEILING, scope=SCOPE)
@time_limited(SECONDS_PER_CLIENT, WINDOW, scope=f"{SCOPE}.seconds", reserve=RESERVED_SECONDS)
def verify_json() -> ResponseReturnValue:
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        # Exempt from CSRF for API clients, which send no Sec-Fetch-* headers; a browser
        # sent here by another site's page would spend this endpoint's overall limit for
        # everyone.
        return jsonify({"errors": {"request": t("http.cross_site")}}), 403
    upload = request.files.get("document")
    result = services().public_verification.verify(
        upload.stream.read(MAX_PDF_BYTES + 1) if upload else b"")
    if isinstance(result, FormErrors):
        return jsonify({"errors": {k: message(v, get_locale())
                                   for k, v in result.errors.items()}}), 422
    if isinstance(result, TemporaryProblem):
        return jsonify({"errors": {"request": t("problem.temporary.text")}}), 503
    return jsonify(_as_json(result))


def _as_json(report: Report) -> dict[str, object]:
    return {"valid": report.all_valid, "signatures": [_signature(s) for s in report.signatures]}


def _signature(s: SignatureReport) -> dict[str, object]:
    e = s.evidence
    return {
        "field": e.field, "signer": e.signer, "serial_number": f"{e.serial_number:X}",
        "issuer": e.issuer, "valid": s.valid,
        "signed_at": _iso(e.claimed_at),  # the signer's claim, as before
        "timestamp": None if e.timestamp_valid is None else {
            "valid": e.timestamp_valid, "time": _iso(e.timestamped_at),
            "authority": e.timestamp_authority},
        "signing_time": _iso(s.signing_time),
        "signing_time_source": "timestamp" if s.time_proven else (
            "claimed" if s.signing_time else None),
        "certificate_at_signing_time": _state(s.at_signing),
        "certificate_now": _state(s.now),
        "intact": e.intact, "trusted": e.trusted, "revoked_now": s.now.problem == "revoked",
        "covers_whole_document": e.covers_whole_document,
        "modified_after_signing": e.modified_after,
        "later_signatures_added": e.signed_over}


def _state(state: CertificateState) -> dict[str, object]:
    return {"valid": state.valid, "problem": state.problem and str(state.problem),
            "since": _iso(state.since), "revocation_reason": state.reason}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
