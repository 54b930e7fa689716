"""How large a request body may be, decided before anything reads it.

Every request may carry at most ``FORM_LIMIT`` bytes; a view that takes a file (or another
body) says how much with ``@accepts_body(limit)``. The limit is set by the very first
before-request hook: CSRF protection, which runs next, parses the form, so a limit a view
set for itself came after the whole body had been read (30 MiB uploads were read before
their 400). With the limit in place Werkzeug stops reading at it and answers 413, whether
the size was declared (Content-Length) or the body came chunked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request

# The largest body of a form without files (the longest reasons and addresses are a few KB).
FORM_LIMIT = 256 * 1024
# What a multipart form adds around its files: boundaries, headers, the other fields.
MULTIPART_ALLOWANCE = 512 * 1024

_ATTRIBUTE = "gerbang_body_limit"
View = TypeVar("View", bound=Callable[..., object])


def accepts_body(limit: int) -> Callable[[View], View]:
    """Let this view's requests carry up to ``limit`` bytes. Put it right under the route
    decorator (the attribute also survives ``functools.wraps``)."""
    def mark(view: View) -> View:
        setattr(view, _ATTRIBUTE, limit)
        return view
    return mark


def _limit_the_body() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    request.max_content_length = getattr(view, _ATTRIBUTE, FORM_LIMIT)


def init_app(app: Flask) -> None:
    """Before every other hook, CSRF protection's included."""
    app.before_request_funcs.setdefault(None, []).insert(0, _limit_the_body)
