"""OSS portal pages owned by the sidecar: registration (O1–O5) and Home (O6)."""

from __future__ import annotations

from flask import Flask

from gerbang_sidecar.web.oss import home, registration


def init_app(app: Flask) -> None:
    registration.init_app(app)
    home.init_app(app)
