"""What ``base.html`` needs on every page: the portal whose branding to show, its helpdesk.

The portal is the one a view named (``use_portal(realm)``) or else the one the URL starts
with (``/akses/…``, ``/easy/…`` → AKSes), so error pages under a portal's URLs are branded too.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request

from gerbang_sidecar.portals import Portal, find_portal, helpdesk, portal, portal_clients
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.locale import get_locale


def use_portal(realm: str) -> Portal:
    g.gerbang_portal = portal(realm)
    return g.gerbang_portal


def current_portal() -> Portal | None:
    if not has_request_context():
        return None
    chosen = g.get("gerbang_portal")
    if chosen is not None:
        return chosen
    first = request.path.strip("/").split("/", 1)[0]
    client = next((c for c in portal_clients() if c.path == first), None)
    return find_portal(client.realm if client else first)


def _layout_context() -> dict[str, Any]:
    shown = current_portal()
    return {
        "portal": shown,
        "theme_key": shown.realm if shown else "gerbang",
        "helpdesk": helpdesk(services().settings.themes_dir,
                             shown.realm if shown else None, get_locale()),
    }


def init_app(app: Flask) -> None:
    app.context_processor(_layout_context)
