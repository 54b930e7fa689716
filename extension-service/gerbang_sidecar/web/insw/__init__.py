"""INSW portal pages owned by the sidecar: the organisation registration (I0–I3), the
reviewer's queue and the INSW Home (I4)."""

from __future__ import annotations

from flask import Flask

from gerbang_sidecar.web.insw import registration, review


def init_app(app: Flask) -> None:
    registration.init_app(app)
    review.init_app(app)
