"""AKSes portal pages owned by the sidecar: registration wizard (A1–A5, C2), Beranda and the
eASY page (A8). One ``init_app`` so the app factory wires the whole portal with one line."""

from __future__ import annotations

from flask import Flask

from gerbang_sidecar.web.akses import portal, registration


def init_app(app: Flask) -> None:
    registration.init_app(app)
    portal.init_app(app)
