"""X10 "Data Saya" on every portal: a POST to ``/<path>/data-saya`` downloads, as JSON, every
personal datum the portal holds about the logged-in user (services/account_data.py); the
download is audited. The route exists under each portal client's path, from the portal table.

A POST with the form token (the button on the portal's home page), not a link: a link on
another site would otherwise drop the user's NIK, documents and selfie into the Downloads
folder of whatever computer they are logged in on (a shared one, a kiosk), and write an
audit row each time. A GET goes to the page with the button. Ten downloads an hour per
account: each reads Keycloak three times and decrypts every document."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, redirect, request
from flask.typing import ResponseReturnValue

from gerbang_sidecar import portals
from gerbang_sidecar.portals import portal_clients
from gerbang_sidecar.ports.keycloak import KeycloakUnavailable
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import error_page
from gerbang_sidecar.web.layout import use_portal
from gerbang_sidecar.web.portal_login import current_portal_user, start_login
from gerbang_sidecar.web.rate_limit import limit_identifier

DOWNLOADS_PER_HOUR = 10


def download(path: str) -> ResponseReturnValue:
    client = next(c for c in portal_clients() if c.path == path)
    if request.method != "POST":
        return redirect(client.landing_url, code=303)
    portal = use_portal(client.realm)
    user = current_portal_user(client.client_id)
    if user is None:
        return start_login(client)
    limit_identifier("account_data", user.sub, DOWNLOADS_PER_HOUR, 3600)
    try:
        data = services().account_data.export(client.realm, portal.name, user.sub)
    except KeycloakUnavailable:
        return error_page(503)
    if data is None:
        return error_page(404)
    body = json.dumps(data.document, ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{data.filename}"',
        "Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    bp = Blueprint("account_data", __name__)
    prefix = f"/<any({', '.join(sorted({c.path for c in portal_clients()}))}):path>"
    bp.add_url_rule(f"{prefix}/data-saya", view_func=download, methods=["GET", "POST"])
    app.register_blueprint(bp)
    app.jinja_env.globals["account_data_url"] = lambda client_id: (
        f"/{portals.client(client_id).path}/data-saya")
