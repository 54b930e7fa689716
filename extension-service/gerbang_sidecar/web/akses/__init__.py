"""AKSes portal pages owned by the sidecar: registration (A1–A5, C2), Beranda and eASY (A8)
and the legacy members' email (A6). Forgot password (A7) is every portal's
(web/forgot_password.py)."""

from __future__ import annotations

from flask import Flask

from gerbang_sidecar.web.akses import beranda, legacy_members, registration


def init_app(app: Flask) -> None:
    for pages in (registration, beranda, legacy_members):
        pages.init_app(app)
