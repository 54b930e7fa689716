"""HTTP entry points: thin blueprints that parse, call a service and render.

Shared machinery first (request ids and metrics, language, layout, errors, rate limits before
CSRF), then the pages: the landing and portal start pages, the OIDC login of every portal
client, and each portal's own package (``web.<portal.pages>``, named in the portal table).
"""

from __future__ import annotations

import importlib

from flask import Flask

from gerbang_sidecar.portals import PORTALS
from gerbang_sidecar.web import (
    account_data,
    background,
    captcha,
    context,
    errors,
    forgot_password,
    forms,
    health,
    layout,
    locale,
    observability,
    pages,
    portal_login,
    rate_limit,
    request_limits,
    security_headers,
    theme_assets,
)
from gerbang_sidecar.wiring import Services


def init_app(app: Flask, services: Services) -> None:
    init_responder_app(app, services)  # first: the request id is bound before any other hook
    locale.init_app(app)
    layout.init_app(app)
    errors.init_app(app)
    rate_limit.init_app(app)  # before forms: CSRF failures count against their sender
    forms.init_app(app)
    rate_limit.init_ceilings(app)  # after forms: junk without a form token spends no ceiling
    theme_assets.init_app(app)
    captcha.init_app(app)
    portal_login.init_app(app)
    account_data.init_app(app)
    pages.init_app(app)
    forgot_password.init_app(app)
    for portal in PORTALS:
        if portal.pages is not None:
            importlib.import_module(f"gerbang_sidecar.web.{portal.pages}").init_app(app)
    background.init_app(app, services)


def init_responder_app(app: Flask, services: Services) -> None:
    """What every app has, and all the OCSP process has besides ``pki_ocsp``: the services,
    request ids and metrics (first of the hooks, after the body's size limit), security
    headers, liveness and readiness."""
    context.install(app, services)
    observability.init_app(app)
    security_headers.init_app(app, services.settings)
    health.init_app(app)
    request_limits.init_app(app)
