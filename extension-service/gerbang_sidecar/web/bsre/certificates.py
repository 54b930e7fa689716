"""BSrE certificate pages (issue 12, first slice): the lists of B15 and B16, "Permohonan Baru",
"Unduh", the Set Passphrase link's steps (B17), and the CA's public files.

``/bsre/sertifikat``                     "Status Permohonan" and "Daftar Sertifikat
                                         Elektronik"; "Permohonan Baru" (B21)
``/bsre/sertifikat/<id>/unduh``          the certificate and its chain (PEM), never the key
``/bsre/sertifikat/<id>/info``           "Info": what the certificate says (B16)
``/bsre/sertifikat/<id>/cabut``          (POST) "Pencabutan" with an RFC 5280 reason (B19)
``/bsre/sertifikat/<id>/pembaruan``      "Permohonan Pembaruan": the question, then (POST) the
                                         request, in the last 30 days only (B20)
``/bsre/sertifikat/<id>/passphrase``     "Ubah Passphrase" (B22)
``/bsre/sertifikat/<id>/reset``          "Reset Passphrase" (B22): re-keys, said before
``/bsre/tanda-tangan``                   "Tanda Tangan Dokumen" (X7): a signed PDF back
``/bsre/set-passphrase/t/<token>``       the mailed link; the token moves to the session
``/bsre/set-passphrase``                 confirm the profile, the selfie, the passphrase and
                                         the subscriber agreement; Submit
``/pki/issuing-ca.crl``, ``/pki/issuing-ca.crt``  public (X6): the CRL and the CA's certificate
(the OCSP responder, ``/pki/ocsp``, is a bare WSGI layer in front of Flask: web/pki_ocsp.py)
"""

from __future__ import annotations

import io
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice

from gerbang_sidecar.ports.selfies import MAX_SELFIE_BYTES
from gerbang_sidecar.ports.storage import CertificateRow
from gerbang_sidecar.services.certificates.issuance import (
    CertificateIssuance,
    Issued,
    LinkDead,
    NotAllowed,
    NotYet,
    Requested,
    SetPassphrase,
)
from gerbang_sidecar.services.certificates.passphrases import (
    ChangedMeanwhile,
    Locked,
    NotChangeable,
)
from gerbang_sidecar.services.certificates.revocation import REASONS, Revoked
from gerbang_sidecar.services.certificates.signing import MAX_PDF_BYTES, Refused
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.texts import long_time
from gerbang_sidecar.web.bsre.access import CLIENT, REALM
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import error_page, temporary_problem
from gerbang_sidecar.web.forms import add_form_errors, form_page
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import get_locale, t
from gerbang_sidecar.web.mailed_links import MailedLink
from gerbang_sidecar.web.portal_login import portal_login_required
from gerbang_sidecar.web.rate_limit import counted_sends, limit_face_checks, rate_limited
from gerbang_sidecar.web.request_limits import MULTIPART_ALLOWANCE, accepts_body
from gerbang_sidecar.web.security_headers import camera_page_headers

LINK = MailedLink("bsre_set_passphrase", "cert.link_dead.title", "cert.link_dead.text")
bp = Blueprint("bsre_certificates", __name__)


class ActionForm(FlaskForm):
    """A button that changes something: the CSRF token only."""


class SetPassphraseForm(FlaskForm):
    photo = FileField("bsre.field.photo")
    passphrase = PasswordField("cert.passphrase")
    passphrase_confirm = PasswordField("cert.passphrase_confirm")
    agreement = BooleanField("cert.agreement")


def _service() -> CertificateIssuance:
    return services().certificates


@bp.get("/bsre/sertifikat")
@portal_login_required(REALM, CLIENT)
def overview() -> ResponseReturnValue:
    use_portal(REALM)
    user_id = g.portal_user.sub
    certificates = _service().certificates(user_id)
    return render_template("bsre/certificates/overview.html", form=ActionForm(formdata=None),
                           revoke=RevokeForm(formdata=None),
                           requests=_service().requests(user_id), certificates=certificates,
                           # B21: no "Permohonan Baru" for a second eSign (it is refused)
                           esign_in_force=_service().esign_in_force(certificates))


@bp.post("/bsre/sertifikat/permohonan")
@portal_login_required(REALM, CLIENT)
@rate_limited(10, 600)  # each one mails (and may WhatsApp) a link
def new_request() -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    return request_answer(_links_asked(lambda: _service().request(g.portal_user.sub)),
                          "cert.requested", url_for(".overview"))


class PassphraseForm(FlaskForm):
    old_passphrase = PasswordField("cert.old_passphrase")
    passphrase = PasswordField("cert.new_passphrase")
    passphrase_confirm = PasswordField("cert.passphrase_confirm")
    consent = BooleanField("cert.passphrase_consent")


@bp.route("/bsre/sertifikat/<int:certificate_id>/pembaruan", methods=["GET", "POST"])
@portal_login_required(REALM, CLIENT)
@rate_limited(10, 600)  # each one mails (and may WhatsApp) a link
def renew(certificate_id: int) -> ResponseReturnValue:
    """B20: "Persetujuan Permohonan" first, then the Set Passphrase link."""
    use_portal(REALM)
    if request.method == "GET":
        row = _service().own_certificate(g.portal_user.sub, certificate_id)
        if row is None:
            abort(404)
        refusal = _service().renewal_refusal(row)
        if refusal is not None:  # told at once, not after a question it cannot grant
            return request_answer(refusal, "", url_for(".overview"))
        return render_template(
            "bsre/certificates/confirm.html", form=ActionForm(formdata=None),
            title_key="cert.renew", question=t("cert.renew_question"), notice_key=None,
            action=url_for(".renew", certificate_id=certificate_id),
            back=url_for(".overview"))
    if not ActionForm().validate_on_submit():
        abort(400)
    return request_answer(
        _links_asked(lambda: _service().request_renewal(g.portal_user.sub, certificate_id)),
        "cert.renew_requested", url_for(".overview"))


def _own_or_404(certificate_id: int) -> None:
    """A page about one certificate is shown to its holder only (the actions behind it
    check again)."""
    if _service().own_certificate(g.portal_user.sub, certificate_id) is None:
        abort(404)


# Set Passphrase links mailed (and WhatsApped) to one holder a day at their own asking: a
# paid message each, and the per-address limit is no bound for a holder behind many.
LINKS_PER_DAY, LINK_DAY = 5, 86400


def _links_asked(ask: Callable[[], Requested | NotAllowed | NotYet | TemporaryProblem]
                 ) -> Requested | NotAllowed | NotYet | TemporaryProblem:
    """``ask`` for a link unless the holder had LINKS_PER_DAY today; a link sent counts."""
    return counted_sends("set_passphrase_links", g.portal_user.sub, LINKS_PER_DAY, LINK_DAY,
                         ask, Requested)


def request_answer(result: Requested | NotAllowed | NotYet | TemporaryProblem,
                   success_key: str, back: str) -> ResponseReturnValue:
    """What a request for a Set Passphrase link came to, on the holder's and the officer's
    pages alike: an outage is a 503 page, a refusal or success a notice on the list."""
    if isinstance(result, TemporaryProblem):
        return error_page(503)
    if isinstance(result, NotYet):
        flash(t("cert.renew_not_yet", date=long_time(result.opens_at, get_locale())),
              "warning")
    elif isinstance(result, NotAllowed):
        flash(f"cert.refused.{result.reason}", "warning")
    else:
        flash(success_key, "success")
    return redirect(back)


@bp.get("/bsre/sertifikat/<int:certificate_id>/info")
@portal_login_required(REALM, CLIENT)
def info(certificate_id: int) -> ResponseReturnValue:
    use_portal(REALM)
    found = _service().info(g.portal_user.sub, certificate_id)
    if found is None:
        abort(404)
    row, details = found
    return render_template("bsre/certificates/info.html", row=row, details=details,
                           back=url_for(".overview"))


@bp.route("/bsre/sertifikat/<int:certificate_id>/reset", methods=["GET", "POST"])
@portal_login_required(REALM, CLIENT)
@rate_limited(10, 600)  # each one mails (and may WhatsApp) a link
def reset_passphrase(certificate_id: int) -> ResponseReturnValue:
    """B22 "Reset Passphrase": the page says first that it re-keys."""
    use_portal(REALM)
    if request.method == "GET":
        _own_or_404(certificate_id)
        return render_template("bsre/certificates/reset.html", form=ActionForm(formdata=None),
                               certificate_id=certificate_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return request_answer(
        _links_asked(lambda: _service().request_reset(g.portal_user.sub, certificate_id)),
        "cert.reset_requested", url_for(".overview"))


@bp.route("/bsre/sertifikat/<int:certificate_id>/passphrase", methods=["GET", "POST"])
@portal_login_required(REALM, CLIENT)
@rate_limited(20, 600)
def change_passphrase(certificate_id: int) -> ResponseReturnValue:
    use_portal(REALM)
    if request.method == "GET":
        _own_or_404(certificate_id)
        return form_page("bsre/certificates/passphrase.html", PassphraseForm(formdata=None),
                         certificate_id=certificate_id)
    form = PassphraseForm()
    if not form.validate_on_submit():
        return form_page("bsre/certificates/passphrase.html", form,
                         certificate_id=certificate_id)
    result = services().passphrases.change(
        g.portal_user.sub, certificate_id, form.old_passphrase.data, form.passphrase.data,
        form.passphrase_confirm.data, "y" if form.consent.data else "")
    if isinstance(result, NotChangeable):
        abort(404)
    if isinstance(result, ChangedMeanwhile):
        flash("cert.passphrase_changed_meanwhile", "warning")
        return redirect(url_for(".overview"))
    if isinstance(result, Locked):
        body, _ = form_page("bsre/certificates/passphrase.html", form,  # type: ignore[misc]
                            certificate_id=certificate_id, locked=True)
        return body, 423
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return form_page("bsre/certificates/passphrase.html", form,
                         certificate_id=certificate_id)
    flash("cert.passphrase_changed", "success")
    return redirect(url_for(".overview"))


class SignForm(FlaskForm):
    certificate = SelectField("cert.sign.certificate", validate_choice=False)
    document = FileField("cert.sign.document")
    passphrase = PasswordField("cert.passphrase")


def _sign_page(form: SignForm, **context: object) -> ResponseReturnValue:
    issued = [c for c in _service().certificates(g.portal_user.sub) if c.status == "issued"]
    form.certificate.choices = [SelectChoice(str(c.id), f"{c.common_name} ({c.serial_number})")
                                for c in issued]
    return form_page("bsre/certificates/sign.html", form, issued=issued, **context)


@bp.route("/bsre/tanda-tangan", methods=["GET", "POST"])
@accepts_body(MAX_PDF_BYTES + MULTIPART_ALLOWANCE)
@portal_login_required(REALM, CLIENT)
@rate_limited(30, 600)
def sign() -> ResponseReturnValue:
    """X7 "Tanda Tangan Dokumen": a PDF, an Issued certificate, the passphrase -> the signed
    PDF to download; nothing of the document or the passphrase is kept."""
    use_portal(REALM)
    if request.method == "GET":
        return _sign_page(SignForm(formdata=None))
    form = SignForm()
    if not form.validate_on_submit():
        return _sign_page(form)
    upload = form.document.data
    chosen = form.certificate.data or ""
    result = services().signing.sign(
        g.portal_user.sub, int(chosen) if chosen.isdigit() else 0,
        upload.stream.read(MAX_PDF_BYTES + 1) if upload else b"", form.passphrase.data,
        filename=(upload.filename if upload else "") or "dokumen.pdf")
    if result is None:
        abort(404)
    if isinstance(result, Refused):
        body, _ = _sign_page(form, refused=result.reason)  # type: ignore[misc]
        return body, 403
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return _sign_page(form)
    # send_file writes the name as RFC 6266 wants it, filename* for what is not ASCII: a
    # name Latin-1 cannot spell failed the header after the document had been signed.
    return send_file(io.BytesIO(result.pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=result.filename, etag=False, max_age=0)


class RevokeForm(FlaskForm):
    """B19: a reason chosen (none is preselected), then "Pencabutan" asks once more --
    revoking is final and was one tap with "key compromise" preselected (a newcomer)."""

    reason = SelectField("cert.reason", choices=[
        SelectChoice("", "cert.reason.choose"),
        *(SelectChoice(r, f"cert.reason.{r}") for r in REASONS)], validate_choice=False)
    confirmed = HiddenField()


def revocation_unconfirmed(form: RevokeForm, row: CertificateRow, *, action: str,
                           back: str) -> ResponseReturnValue | None:
    """The confirmation page while the revocation is not yet confirmed with a reason (422
    when "Submit" came without one); None once it may go ahead. 404 for a certificate that
    is not Issued: revoked is final, nothing to confirm."""
    if row.status != "issued":
        abort(404)
    if form.confirmed.data == "yes" and form.reason.data:
        return None
    missing = form.confirmed.data == "yes"
    if missing:
        form.reason.errors = ["cert.reason.required"]
    page = render_template("bsre/certificates/revoke.html", form=form, certificate=row,
                           action=action, back=back)
    return (page, 422) if missing else page


@bp.post("/bsre/sertifikat/<int:certificate_id>/cabut")
@portal_login_required(REALM, CLIENT)
def revoke(certificate_id: int) -> ResponseReturnValue:
    use_portal(REALM)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    row = _service().own_certificate(g.portal_user.sub, certificate_id)
    if row is None:
        abort(404)
    unconfirmed = revocation_unconfirmed(
        form, row, action=url_for(".revoke", certificate_id=certificate_id),
        back=url_for(".overview"))
    if unconfirmed is not None:
        return unconfirmed
    result = services().revocation.by_holder(g.portal_user.sub, certificate_id,
                                             form.reason.data or "")
    if isinstance(result, TemporaryProblem):
        return error_page(503)
    if not isinstance(result, Revoked):
        abort(404)
    flash("cert.revoked", "success")
    return redirect(url_for(".overview"))


@bp.get("/bsre/sertifikat/<int:certificate_id>/unduh")
@portal_login_required(REALM, CLIENT)
def download(certificate_id: int) -> ResponseReturnValue:
    found = _service().download(g.portal_user.sub, certificate_id)
    if found is None:
        abort(404)
    row, chain = found
    pem = b"".join(x509.load_der_x509_certificate(der).public_bytes(
        serialization.Encoding.PEM) for der in chain)
    return Response(pem, mimetype="application/x-pem-file", headers={
        "Content-Disposition": f'attachment; filename="sertifikat-{row.serial_number}.pem"'})


@bp.get("/bsre/set-passphrase/t/<token>")
def start(token: str) -> ResponseReturnValue:
    use_portal(REALM)
    return LINK.enter(token, usable=_service().open(token) is not None,
                      endpoint=".set_passphrase")


def _page(form: SetPassphraseForm, opened: SetPassphrase, **context: object
          ) -> ResponseReturnValue:
    return form_page("bsre/certificates/set_passphrase.html", form, opened=opened, **context)


@bp.route("/bsre/set-passphrase", methods=["GET", "POST"])
@accepts_body(MAX_SELFIE_BYTES + MULTIPART_ALLOWANCE)
@rate_limited(20, 600)
def set_passphrase() -> ResponseReturnValue:
    use_portal(REALM)
    token = LINK.token()
    opened = _service().open(token)
    if opened is None or token is None:
        return LINK.dead()
    if request.method == "GET":
        return _page(SetPassphraseForm(formdata=None), opened)
    form = SetPassphraseForm()
    if not form.validate_on_submit():
        return _page(form, opened)
    if request.form.get("action") == "save_photo":
        upload = form.photo.data
        limit_face_checks(token)
        checked = _service().selfie(token, upload.stream.read(MAX_SELFIE_BYTES + 1)
                                    if upload else b"")
        if isinstance(checked, LinkDead):
            return LINK.dead()
        if isinstance(checked, TemporaryProblem):
            return temporary_problem("bsre/certificates/set_passphrase.html", form=form,
                                     opened=opened)
        if isinstance(checked, FormErrors):
            add_form_errors(form, checked.errors)
            return _page(form, opened)
        return _page(form, checked)
    result = _service().issue(token, form.passphrase.data, form.passphrase_confirm.data,
                              "y" if form.agreement.data else "")
    if isinstance(result, LinkDead):
        return LINK.dead()
    if isinstance(result, FormErrors):
        add_form_errors(form, result.errors)
        return _page(form, opened)
    if isinstance(result, NotAllowed):
        body, _ = _page(form, opened, refused=result.reason)  # type: ignore[misc]
        return body, 403
    assert isinstance(result, Issued)
    LINK.forget()
    return render_template("bsre/certificates/issued.html", issued=result)



@bp.after_request
def _camera_on_the_set_passphrase_step(response: Response) -> Response:
    if request.endpoint == "bsre_certificates.set_passphrase":
        response.headers.update(camera_page_headers(services().settings))
    return response


@bp.get("/pki/issuing-ca.crl")
def crl() -> ResponseReturnValue:
    # A minute in caches: a revocation reaches every CRL client within it (X6).
    return Response(_service().crl(), mimetype="application/pkix-crl",
                    headers={"Cache-Control": "public, max-age=60"})


@bp.get("/pki/issuing-ca.crt")
def issuing_ca() -> ResponseReturnValue:
    return Response(_service().chain()[0], mimetype="application/pkix-cert",
                    headers={"Cache-Control": "public, max-age=86400"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
