"""AKSes portal pages owned by the sidecar: registration (A1–A5, C2), Beranda and eASY (A8),
forgot password (A7) and the legacy members' email (A6)."""

from __future__ import annotations

from flask import Flask

from gerbang_sidecar.web.akses import beranda, forgot_password, legacy_members, registration


def init_app(app: Flask) -> None:
    for pages in (registration, beranda, forgot_password, legacy_members):
        pages.init_app(app)
