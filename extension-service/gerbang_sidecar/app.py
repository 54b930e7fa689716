"""Application factory: the Flask app around a container of services, nothing built at import.

``create_app()`` reads the settings from the environment and builds the services
(``wiring.py``); tests pass settings (a ``Settings`` or a dict of overrides) or a ready
container. Process-wide set-up (logging) belongs to the entry points (``serve.py``,
``cli.py``), and the database must be migrated before (``python -m gerbang_sidecar init``
locally, ``python -m gerbang_sidecar.migrations upgrade`` in production).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask

from gerbang_sidecar import web
from gerbang_sidecar.config import ConfigError, Settings, load_settings
from gerbang_sidecar.services.readiness import CA_PROBE, DATABASE_PROBE
from gerbang_sidecar.web import pki_ocsp
from gerbang_sidecar.web.client_address import TrustedProxies, parse_networks
from gerbang_sidecar.web.portal_login import MAX_LOCAL_SESSION_SECONDS
from gerbang_sidecar.wiring import Services, build_services


def create_app(config: Settings | Mapping[str, Any] | None = None, *,
               services: Services | None = None) -> Flask:
    services = services or _services(config)
    settings = services.settings
    app = _flask(services, static_folder="web/static", template_folder="web/templates")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # Lax: the OIDC callback is a top-level GET from Keycloak and must carry the cookie.
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        SESSION_COOKIE_NAME="gerbang_session",
        # The cookie outlives no login it carries (Flask's default would be 31 days).
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=MAX_LOCAL_SESSION_SECONDS),
    )
    web.init_app(app, services)
    # Last, so outermost: OCSP requests are answered before any of Flask's machinery.
    pki_ocsp.install(app, services)
    return app


def create_ocsp_app(config: Settings | Mapping[str, Any] | None = None, *,
                    services: Services | None = None) -> Flask:
    """The OCSP responder alone (``serve-ocsp``): ``/pki/ocsp``, liveness, readiness and
    ``/metrics`` -- no pages, sessions or forms; any other path is 404. Its readiness asks
    its database and whether the CA's keys open: the responder never calls Keycloak or a
    registry, so it neither probes them nor reports itself degraded when they are down."""
    services = services or _services(config)
    services = dataclasses.replace(services, probes={
        DATABASE_PROBE: services.probes[DATABASE_PROBE],
        CA_PROBE: services.certificate_authority.is_usable},
        essential_probes=(DATABASE_PROBE, CA_PROBE))
    app = _flask(services)
    web.init_responder_app(app, services)
    pki_ocsp.install(app, services)
    return app


def _services(config: Settings | Mapping[str, Any] | None) -> Services:
    settings = config if isinstance(config, Settings) else load_settings(**(config or {}))
    return build_services(settings)


def _flask(services: Services, **options: Any) -> Flask:
    settings = services.settings
    app = Flask(__name__, instance_path=str(settings.instance_path), **options)
    try:
        proxies = parse_networks(settings.trusted_proxies)
    except ValueError as exc:
        raise ConfigError(f"TRUSTED_PROXIES: {exc}") from None
    if proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, proxies)  # type: ignore[method-assign]
    return app
