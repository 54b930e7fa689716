"""Application factory: every extension, adapter and blueprint is wired here, never at import."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from gerbang_sidecar import outbox
from gerbang_sidecar.adapters import keycloak, registries, storage
from gerbang_sidecar.config import Settings, load_settings
from gerbang_sidecar.logging_setup import configure_logging
from gerbang_sidecar.web import (
    account_recovery,
    akses,
    errors,
    forms,
    health,
    i18n,
    layout,
    legacy_members,
    pages,
    portal_login,
    rate_limit,
    theme_assets,
)


def create_app(config: Settings | dict[str, Any] | None = None) -> Flask:
    settings = config if isinstance(config, Settings) else load_settings(**(config or {}))
    app = Flask(__name__, instance_path=str(settings.instance_path), static_folder=None,
                template_folder="web/templates")
    app.config.update(
        SECRET_KEY=settings.secret_key, GERBANG=settings,
        # Lax: the OIDC callback is a top-level GET from Keycloak and must carry the cookie.
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        SESSION_COOKIE_NAME="gerbang_session",
    )
    configure_logging(settings.log_level)
    if settings.proxy_fix_hops:
        hops = settings.proxy_fix_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops,  # type: ignore[method-assign]
                                x_host=hops)

    health.init_app(app)
    storage.init_app(app)
    registries.init_app(app)
    keycloak.init_app(app)

    i18n.init_app(app)
    layout.init_app(app)
    errors.init_app(app)
    rate_limit.init_app(app)  # before forms: CSRF failures are counted too
    forms.init_app(app)
    theme_assets.init_app(app)
    portal_login.init_app(app)
    pages.init_app(app)
    akses.init_app(app)  # AKSes registration, Beranda, eASY
    account_recovery.init_app(app)  # A7 forgot password
    legacy_members.init_app(app)  # A6 legacy members' email
    outbox.init_app(app)  # delivers mail/SMS (in-process outside production)
    return app
