"""BSrE AMS pages owned by the sidecar: the Dashboard (B8), the Verifikator's users and
queue (B1, B5) and the activation wizard behind the "Aktivasi Akun" link (B2–B4)."""

from __future__ import annotations

from flask import Flask

from gerbang_sidecar.web.bsre import activation, dashboard, verifier


def init_app(app: Flask) -> None:
    activation.init_app(app)
    dashboard.init_app(app)
    verifier.init_app(app)
