"""What ``base.html`` needs on every page: the portal whose branding to show, its helpdesk.

The portal is the one a view named (``use_portal(realm)``) or else the one the URL starts
with (``/akses/…``, ``/easy/…`` → AKSes), so error pages under a portal's URLs are branded too.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, has_request_context, request

from gerbang_sidecar.web.i18n import get_locale
from gerbang_sidecar.web.portals import PORTAL_CLIENTS, PORTALS, Portal, helpdesk


def use_portal(realm: str) -> Portal:
    g.gerbang_portal = PORTALS[realm]
    return g.gerbang_portal


def current_portal() -> Portal | None:
    if not has_request_context():
        return None
    chosen = g.get("gerbang_portal")
    if chosen is not None:
        return chosen
    first = request.path.strip("/").split("/", 1)[0]
    if first in PORTALS:
        return PORTALS[first]
    client = next((c for c in PORTAL_CLIENTS.values() if c.path == first), None)
    return PORTALS[client.realm] if client else None


def _layout_context() -> dict[str, Any]:
    portal = current_portal()
    return {
        "portal": portal,
        "theme_key": portal.realm if portal else "gerbang",
        "helpdesk": helpdesk(current_app.config["GERBANG"].themes_dir,
                             portal.realm if portal else None, get_locale()),
    }


def init_app(app: Flask) -> None:
    app.context_processor(_layout_context)
