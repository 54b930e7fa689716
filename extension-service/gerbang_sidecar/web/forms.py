"""Form plumbing shared by every page: CSRF on every POST, localized messages, 4xx on errors.

Field labels and validator messages may be catalog keys (``"form.required"``); the macros in
``templates/_forms.html`` translate them (filter ``tr``) when they are. Identifier rules raise
:class:`IdentifierError`, whose text :func:`add_identifier_error` puts beside its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, render_template
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect

from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.texts import message
from gerbang_sidecar.web.locale import get_locale

csrf = CSRFProtect()

# 422: the request was understood but the data is not acceptable (X5: errors are 4xx).
INVALID_FORM_STATUS = 422


def add_identifier_error(form: FlaskForm, error: IdentifierError,
                         field: str | None = None) -> None:
    """Show an identifier rule's refusal beside its field, in the page's language."""
    target = form[field or error.field]
    target.errors = [*target.errors, message(error, get_locale())]


def add_form_errors(form: FlaskForm, errors: Mapping[str, IdentifierError]) -> None:
    """Every refusal of a use case (``FormErrors.errors``) beside its field."""
    for name, error in errors.items():
        add_identifier_error(form, error, name)


def add_field_error(form: FlaskForm, field: str, message: str) -> None:
    """``message``: a catalog key or a ready text."""
    target = form[field]
    target.errors = [*target.errors, message]


def form_page(template: str, form: FlaskForm, **context: Any) -> tuple[str, int]:
    """Render a form page: 200, or 422 when any field carries an error."""
    status = INVALID_FORM_STATUS if form.errors else 200
    return render_template(template, form=form, **context), status


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 3600)
    # The token is bound to the session; the form's page gives the user an hour to fill it in.
    csrf.init_app(app)
