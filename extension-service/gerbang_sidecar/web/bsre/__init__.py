"""BSrE AMS pages owned by the sidecar: the Dashboard (B8), Profil, Aktivitas and Keamanan
(B12, B23), the Verifikator's users and queue (B1, B5) and the activation wizard behind the
"Aktivasi Akun" link (B2–B4), and the certificates: the holder's (B15-B22, X7), the
officer's actions on them (B14, B19, B20, B22) and public verification."""

from __future__ import annotations

from flask import Flask

from gerbang_sidecar.web.bsre import (
    account,
    accounts,
    activation,
    certificates,
    dashboard,
    officer_certificates,
    otp_request,
    profile_changes,
    self_registration,
    timestamping,
    verification_page,
    verifier,
)


def init_app(app: Flask) -> None:
    account.init_app(app)
    accounts.init_app(app)
    activation.init_app(app)
    certificates.init_app(app)
    dashboard.init_app(app)
    officer_certificates.init_app(app)
    otp_request.init_app(app)
    profile_changes.init_app(app)
    self_registration.init_app(app)
    timestamping.init_app(app)
    verification_page.init_app(app)
    verifier.init_app(app)
