"""The Keycloak login theme's stylesheet, images and logo, served from the themes folder.

The sidecar never copies CSS: ``/theme/<realm>/css/gerbang.css`` is the base theme's file,
``/theme/<realm>/css/portal.css`` and ``/theme/<realm>/img/logo.svg`` the portal theme's, so
``url("../img/logo.svg")`` inside the stylesheets resolves the same way it does in Keycloak.
``/theme/gerbang/...`` serves the base theme alone (pages that belong to no portal).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, send_from_directory
from flask.typing import ResponseReturnValue
from werkzeug.security import safe_join

from gerbang_sidecar.portals import BASE_THEME, find_portal
from gerbang_sidecar.web.context import services

bp = Blueprint("theme", __name__)

_SERVED_FOLDERS = ("css", "img")


def _resource_dirs(themes_dir: Path, portal: str) -> list[Path]:
    """Child theme first, then the base theme, as Keycloak resolves a theme's resources."""
    dirs = [themes_dir / BASE_THEME / "login" / "resources"]
    found = find_portal(portal)
    if found is not None:
        dirs.insert(0, themes_dir / found.theme / "login" / "resources")
    return dirs


@bp.get("/theme/<portal>/<path:filename>")
def resource(portal: str, filename: str) -> ResponseReturnValue:
    if portal != BASE_THEME and find_portal(portal) is None:
        abort(404)
    if filename.split("/", 1)[0] not in _SERVED_FOLDERS:
        abort(404)
    themes_dir: Path = services().settings.themes_dir
    for folder in _resource_dirs(themes_dir, portal):
        found = safe_join(str(folder), filename)
        if found is not None and Path(found).is_file():
            return send_from_directory(folder, filename, max_age=3600)
    abort(404)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
