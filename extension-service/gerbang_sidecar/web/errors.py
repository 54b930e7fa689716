"""Themed error pages (400/CSRF, 404, 413, 429, 500, 503) naming the helpdesk (C6), and the
"temporary problem" answer that keeps what the user typed.

Two ways to meet an outage (Keycloak or the database down, a registry ``Unavailable``):

* a view that has the form at hand re-renders it with :func:`temporary_problem` — the page
  keeps every typed value and shows a "try again in a few minutes" notice (status 503);
* anything not caught reaches the global handler for :data:`OUTAGE_ERRORS`, which shows the
  themed 503 page (the typed values are lost there, so views with forms should catch).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from gerbang_sidecar.ports.keycloak import KeycloakUnavailable
from gerbang_sidecar.ports.storage import StorageError
from gerbang_sidecar.web.locale import t

log = logging.getLogger(__name__)

OUTAGE_ERRORS: tuple[type[Exception], ...] = (KeycloakUnavailable, StorageError)


def temporary_problem(template: str, **context: Any) -> tuple[str, int]:
    """Render the form page again with its data and the temporary-problem notice (503)."""
    return render_template(template, temporary_problem=True, **context), 503


def error_page(status: int, *, title_key: str | None = None, text_key: str | None = None,
               **params: Any) -> tuple[str, int]:
    return render_template(
        "errors/error.html", status=status, show_helpdesk=True,
        title_key=title_key or f"http.{status}.title",
        text_key=text_key or f"http.{status}.text", params=params), status


def _csrf_failed(_error: CSRFError) -> ResponseReturnValue:
    # The token is gone or expired: the posted data cannot be trusted, so it is not re-shown.
    return error_page(400, title_key="http.csrf.title", text_key="http.csrf.text")


def _http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    if status == 429:
        retry_after = int(getattr(error, "retry_after", 0) or 0)
        body, code = error_page(429, minutes=max(1, -(-retry_after // 60)))
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        return body, code, headers
    if status == 413 and request.path.endswith(".json"):
        # An API client (the public verification's JSON) reads JSON, in the asked language.
        return jsonify({"errors": {"request": t("http.413.text")}}), 413
    if status in (400, 404, 413, 500, 503):
        return error_page(status)
    # Other statuses (405…) keep Werkzeug's response: they are not user paths.
    return error


def _outage(error: Exception) -> ResponseReturnValue:
    log.warning("outage on %s: %s", request.endpoint, type(error).__name__)
    return error_page(503)


def _unexpected(error: InternalServerError) -> ResponseReturnValue:
    original = getattr(error, "original_exception", None)
    if original is not None:
        log.error("unhandled error on %s", request.endpoint, exc_info=original)
    return error_page(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _unexpected)
    for kind in OUTAGE_ERRORS:
        app.register_error_handler(kind, _outage)
    app.jinja_env.globals["temporary_problem"] = False
