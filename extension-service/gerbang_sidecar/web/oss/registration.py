"""OSS registration (O1–O5, X1, X2, X5): thin views over ``OssRegistrations``.

``/oss/daftar?jenis=ktp|paspor``  "Jenis Identitas" (two tabs, no script needed), the form
                                   of that type, the terms box and the captcha; "Submit"
``/oss/daftar/terima-kasih``       "check your email", the same for every accepted form (X1)

The captcha is checked first: a form without a solved one never reaches Dukcapil, yet every
other error shows with it (X5). The thank-you page's token lives in the Flask session (a
signed, HttpOnly cookie), never in a URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel import Locale
from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField

from gerbang_sidecar.domain.identifiers.country import countries
from gerbang_sidecar.domain.oss.registration_form import (
    FIELDS,
    INDONESIA,
    TERMS_FIELD,
    IdentityType,
)
from gerbang_sidecar.services.oss.registration import OssRegistrations, Submitted
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.web.captcha import CaptchaField
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import temporary_problem
from gerbang_sidecar.web.forms import add_identifier_error, form_page
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.locale import get_locale, t
from gerbang_sidecar.web.rate_limit import limit_identifier, rate_limited

REALM = "oss"
SESSION_KEY = "oss_registration"
# X2, as for AKSes: generous for typos, tight for bulk probing.
SUBMIT_LIMIT, WINDOW_SECONDS, SUBMIT_CEILING = 30, 600, 600
IDENTIFIER_LIMIT, IDENTIFIER_WINDOW = 10, 3600

bp = Blueprint("oss_registration", __name__, url_prefix="/oss/daftar")


class OssRegistrationForm(FlaskForm):
    """Every field of both types; the page shows its type's (FIELDS). The rules are the
    domain's, so the fields carry no validators -- except the captcha, checked here."""

    nik = StringField()
    name = StringField()
    country = SelectField(default=INDONESIA, validate_choice=False)
    birth_date = StringField()
    phone = StringField()
    email = StringField()
    passport = StringField()
    passport_country = SelectField(validate_choice=False)
    passport_issue_date = StringField()
    passport_expiry_date = StringField()
    passport_office = StringField()
    sex = SelectField(validate_choice=False)
    citizenship = SelectField(validate_choice=False)
    birth_place = StringField()
    terms = BooleanField("oss.reg.terms")
    captcha = CaptchaField()


# Label and help per field, as the OSS manual names them.
LABELS: Mapping[str, tuple[str, str | None]] = {
    "nik": ("oss.reg.field.nik", "oss.reg.help.nik"),
    "name": ("oss.reg.field.name", "oss.reg.help.name"),
    "country": ("oss.reg.field.country", None),
    "birth_date": ("oss.reg.field.birth_date", "oss.reg.help.date"),
    "phone": ("oss.reg.field.phone", "oss.reg.help.phone"),
    "email": ("oss.reg.field.email", None),
    "passport": ("oss.reg.field.passport", "oss.reg.help.passport"),
    "passport_country": ("oss.reg.field.passport_country", None),
    "passport_issue_date": ("oss.reg.field.passport_issue_date", "oss.reg.help.date"),
    "passport_expiry_date": ("oss.reg.field.passport_expiry_date", "oss.reg.help.date"),
    "passport_office": ("oss.reg.field.passport_office", None),
    "sex": ("oss.reg.field.sex", None),
    "citizenship": ("oss.reg.field.citizenship", None),
    "birth_place": ("oss.reg.field.birth_place", None),
}
_DATE = {"inputmode": "numeric", "placeholder": "dd-mm-yyyy", "maxlength": "10",
         "autocomplete": "off"}
INPUT_ATTRS: Mapping[str, dict[str, str]] = {
    "nik": {"inputmode": "numeric", "autocomplete": "off", "maxlength": "16"},
    "name": {"autocomplete": "name"},
    "birth_date": {**_DATE, "autocomplete": "bday"},
    "phone": {"type": "tel", "autocomplete": "tel-national"},
    "email": {"type": "email", "autocomplete": "email"},
    "passport": {"autocomplete": "off", "autocapitalize": "characters", "maxlength": "9"},
    "passport_issue_date": _DATE,
    "passport_expiry_date": _DATE,
    "passport_office": {"autocomplete": "off"},
    "birth_place": {"autocomplete": "off"},
}


def _service() -> OssRegistrations:
    return services().oss_registrations


def _kind() -> IdentityType:
    return IdentityType.PASPOR if request.args.get("jenis") == "paspor" else IdentityType.KTP


def _country_choices(lang: str, *, with_dial_code: bool) -> list[tuple[str, str]]:
    """Countries by name in the page's language; Negara Asal shows "(+62) - Indonesia"."""
    names = Locale.parse(lang).territories
    rows = [(code, names.get(code, code), dial) for code, dial in countries()]
    rows.sort(key=lambda row: row[1])
    if with_dial_code:
        return [(code, f"(+{dial}) - {name}") for code, name, dial in rows]
    return [("", "")] + [(code, name) for code, name, _ in rows]


def _with_choices(form: OssRegistrationForm) -> OssRegistrationForm:
    lang = get_locale()
    form.country.choices = _country_choices(lang, with_dial_code=True)
    plain = _country_choices(lang, with_dial_code=False)
    form.passport_country.choices = plain
    form.citizenship.choices = plain
    form.sex.choices = [("", ""), ("L", t("oss.reg.sex.L")), ("P", t("oss.reg.sex.P"))]
    for name in LABELS:  # every field is mandatory (O2, O3): the page marks them so
        form[name].flags.required = True
    return form


def _render(kind: IdentityType, form: OssRegistrationForm, *, outage: bool = False
            ) -> ResponseReturnValue:
    page: dict[str, Any] = {"kind": kind, "kinds": list(IdentityType), "fields": FIELDS[kind],
                            "labels": LABELS, "input_attrs": INPUT_ATTRS}
    if outage:  # 503, every typed value kept (X5)
        return temporary_problem("oss/registration/form.html", form=form, **page)
    return form_page("oss/registration/form.html", form, **page)


@bp.route("", methods=["GET", "POST"])
@rate_limited(SUBMIT_LIMIT, WINDOW_SECONDS, ceiling=SUBMIT_CEILING)
def form() -> ResponseReturnValue:
    use_portal(REALM)
    kind = _kind()
    if request.method == "GET":
        return _render(kind, _with_choices(OssRegistrationForm(formdata=None)))
    reg_form = _with_choices(OssRegistrationForm())
    captcha_passed = reg_form.validate_on_submit()  # the captcha (CSRF is checked before)
    submitted = {"identity_type": kind.value, TERMS_FIELD: "y" if reg_form.terms.data else "",
                 **{name: reg_form[name].data or "" for name in FIELDS[kind]}}
    if not captcha_passed:
        errors = _service().form_errors(submitted)
        return _show_errors(kind, reg_form, errors.errors if errors else {})
    for name in ("nik", "passport", "email"):
        if name in FIELDS[kind]:
            limit_identifier(f"oss_registration.{name}", submitted[name], IDENTIFIER_LIMIT,
                             IDENTIFIER_WINDOW)
    result = _service().submit(submitted, get_locale())
    if isinstance(result, FormErrors):
        return _show_errors(kind, reg_form, result.errors)
    if isinstance(result, TemporaryProblem):
        return _render(kind, reg_form, outage=True)
    assert isinstance(result, Submitted)
    session[SESSION_KEY] = result.token
    return redirect(url_for(".thank_you"))


def _show_errors(kind: IdentityType, form: OssRegistrationForm,
                 errors: Mapping[str, Any]) -> ResponseReturnValue:
    for name, error in errors.items():
        if name in FIELDS[kind] or name == TERMS_FIELD:
            add_identifier_error(form, error, name)
    return _render(kind, form)


@bp.get("/terima-kasih")
def thank_you() -> ResponseReturnValue:
    use_portal(REALM)
    token = session.get(SESSION_KEY)
    found = _service().thank_you(token) if isinstance(token, str) else None
    if found is None:
        return redirect(url_for(".form"))
    return render_template("oss/registration/thanks.html", name=found.name)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
