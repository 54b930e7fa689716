"""The captcha of public forms (O2, O3): puzzles for the widget, its files, and the field.

``/captcha/puzzle``          a new signed puzzle (JSON) for the ALTCHA widget, never cached
``/captcha/widget/<name>``   the widget's files from the pinned npm package
                             (extension-service/widgets), served here, not from a CDN

A form adds ``captcha = CaptchaField()`` and its template calls the ``captcha`` macro of
``_forms.html`` (with ``captcha_assets()`` in the page's head). The widget posts its solution
under the field's name; the field's validator spends it (services/captcha.py), so a replayed
or missing solution is refused beside the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, jsonify, send_from_directory
from flask.typing import ResponseReturnValue
from wtforms import Field, HiddenField
from wtforms.validators import ValidationError

from gerbang_sidecar.services.captcha import CaptchaVerdict
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.rate_limit import rate_limited

bp = Blueprint("captcha", __name__)

# What the pages load, by the name they ask for: the build without inline styles or bundled
# workers (the CSP allows neither), the one worker our puzzles need, the two languages.
_WIDGET_FILES = {
    "altcha.js": "altcha/dist/external/altcha.min.js",
    "altcha.css": "altcha/dist/external/altcha.css",
    "pbkdf2.js": "altcha/dist/workers/pbkdf2.js",
    "i18n-id.js": "altcha/dist/i18n/id.js",
    "i18n-en.js": "altcha/dist/i18n/en.js",
}


@bp.get("/captcha/puzzle")
@rate_limited(60, 60, methods=("GET",))
def puzzle() -> ResponseReturnValue:
    response = jsonify(services().captcha.puzzle())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/captcha/widget/<name>")
def widget(name: str) -> ResponseReturnValue:
    relative = _WIDGET_FILES.get(name)
    if relative is None:
        abort(404)
    path = Path(services().settings.widgets_dir) / relative
    if not path.is_file():
        abort(404)
    return send_from_directory(path.parent, path.name, max_age=86400)


class _SolvedCaptcha:
    """Spends the solution: checked on every submission, whatever else the form says."""

    def __init__(self) -> None:
        self.field_flags = {"required": True}

    def __call__(self, form: Any, field: Field) -> None:
        verdict = services().captcha.check(field.data)
        if verdict is CaptchaVerdict.MISSING:
            raise ValidationError("captcha.missing")
        if verdict is CaptchaVerdict.REFUSED:
            raise ValidationError("captcha.refused")


class CaptchaField(HiddenField):
    """The widget's solution. Rendered by the ``captcha`` macro, never by itself."""

    def __init__(self, label: str = "captcha.label", **kwargs: Any) -> None:
        super().__init__(label, validators=[_SolvedCaptcha()], **kwargs)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
