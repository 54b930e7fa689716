"""The Verifikator's certificate actions on a user of the instansi (B14, B19, B20, B22); the
list itself is on the account page (accounts.py). Each one that asks something of the user
goes to the user: the Set Passphrase link, the invitation to change the passphrase -- an
officer never sets or sees one. Certificates outside the officer's instansi answer 404.

``/bsre/verifikator/akun/<user_id>/sertifikat/baru?produk=``  "Tambah sertifikat elektronik":
                                        the question, then (POST) eSign or eSeal (B14, B21)
``/bsre/verifikator/sertifikat/<id>/pembaruan``  the question, then (POST) renewal (B20)
``/bsre/verifikator/sertifikat/<id>/cabut``      (POST) revocation with a reason (B19)
``/bsre/verifikator/sertifikat/<id>/passphrase`` (POST) ask the holder to change it (B22)
``/bsre/verifikator/sertifikat/<id>/info``       "Info" (B16)
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gerbang_sidecar.domain.certificates.profiles import AVAILABLE, Product
from gerbang_sidecar.services.certificates.issuance import CertificateIssuance
from gerbang_sidecar.services.certificates.passphrases import Invited
from gerbang_sidecar.services.certificates.revocation import Revoked
from gerbang_sidecar.services.results import TemporaryProblem
from gerbang_sidecar.web.bsre.access import officer, officer_required
from gerbang_sidecar.web.bsre.certificates import (
    ActionForm,
    RevokeForm,
    request_answer,
    revocation_unconfirmed,
)
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import error_page
from gerbang_sidecar.web.locale import t
from gerbang_sidecar.web.rate_limit import rate_limited

bp = Blueprint("bsre_officer_certificates", __name__, url_prefix="/bsre/verifikator")


def _service() -> CertificateIssuance:
    return services().certificates


def _account(user_id: str) -> str:
    return url_for("bsre_accounts.account", user_id=user_id)


def _product(raw: str | None) -> Product:
    try:
        product = Product(raw or "")
    except ValueError:
        abort(404)
    if product not in AVAILABLE:
        abort(404)  # B14: TLS is listed as not yet available, never requested
    return product


@bp.route("/akun/<user_id>/sertifikat/baru", methods=["GET", "POST"])
@officer_required
@rate_limited(30, 600)
def new_request(user_id: str) -> ResponseReturnValue:
    user_id = user_id[:64]
    product = _product(request.args.get("produk"))
    if request.method == "GET":
        if services().bsre_compromised.account(officer(), user_id) is None:
            abort(404)
        return render_template(
            "bsre/certificates/confirm.html", form=ActionForm(formdata=None),
            title_key="cert.officer.new_title",
            question=t("cert.officer.new_question", product=t(f"cert.type.{product.value}")),
            notice_key=f"cert.officer.new_notice.{product.value}",
            action=url_for(".new_request", user_id=user_id, produk=product.value),
            back=_account(user_id))
    if not ActionForm().validate_on_submit():
        abort(400)
    result = _service().request_for(officer(), user_id, product)
    if result is None:
        abort(404)
    return request_answer(result, "cert.officer.requested", _account(user_id))


@bp.route("/sertifikat/<int:certificate_id>/pembaruan", methods=["GET", "POST"])
@officer_required
@rate_limited(30, 600)
def renew(certificate_id: int) -> ResponseReturnValue:
    row = _service().certificate_for(officer(), certificate_id)
    if row is None:
        abort(404)
    if request.method == "GET":
        refusal = _service().renewal_refusal(row)
        if refusal is not None:
            return request_answer(refusal, "", _account(row.user_id))
        return render_template(
            "bsre/certificates/confirm.html", form=ActionForm(formdata=None),
            title_key="cert.renew",
            question=t("cert.officer.renew_question", product=t(f"cert.type.{row.product}")),
            notice_key=None, action=url_for(".renew", certificate_id=certificate_id),
            back=_account(row.user_id))
    if not ActionForm().validate_on_submit():
        abort(400)
    result = _service().renewal(row, actor=officer().user_id)
    return request_answer(result, "cert.officer.requested", _account(row.user_id))


@bp.post("/sertifikat/<int:certificate_id>/cabut")
@officer_required
def revoke(certificate_id: int) -> ResponseReturnValue:
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    row = _service().certificate_for(officer(), certificate_id)
    if row is None:
        abort(404)
    unconfirmed = revocation_unconfirmed(
        form, row, action=url_for(".revoke", certificate_id=certificate_id),
        back=_account(row.user_id))
    if unconfirmed is not None:
        return unconfirmed
    result = services().revocation.by_officer(officer(), certificate_id,
                                              form.reason.data or "")
    if isinstance(result, TemporaryProblem):
        return error_page(503)
    if not isinstance(result, Revoked):
        abort(404)
    flash("cert.revoked", "success")
    return redirect(_account(row.user_id))


@bp.post("/sertifikat/<int:certificate_id>/passphrase")
@officer_required
@rate_limited(10, 600)  # each one mails the holder
def invite_change(certificate_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    row = _service().certificate_for(officer(), certificate_id)
    if row is None:
        abort(404)
    result = services().passphrases.invite_change(officer(), certificate_id)
    if isinstance(result, TemporaryProblem):
        return error_page(503)
    if not isinstance(result, Invited):
        flash("cert.refused.not_issued", "warning")
    else:
        flash("cert.officer.change_invited", "success")
    return redirect(_account(row.user_id))


@bp.get("/sertifikat/<int:certificate_id>/info")
@officer_required
def info(certificate_id: int) -> ResponseReturnValue:
    found = _service().info_for(officer(), certificate_id)
    if found is None:
        abort(404)
    row, details = found
    return render_template("bsre/certificates/info.html", row=row, details=details,
                           back=_account(row.user_id))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
