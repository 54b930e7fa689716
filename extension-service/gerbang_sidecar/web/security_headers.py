"""Security headers on every response of the sidecar, error pages and /health included (X8).

Pages run only files the sidecar serves itself (the captcha widget and its worker, O2) and no
inline script or style, so the Content-Security-Policy allows 'self' and nothing inline; forms
post to the sidecar itself, and their redirects go on to Keycloak's login and logout,
which ``form-action`` therefore names too. Nothing may frame a page (clickjacking), browsers
must not guess content types, and no URL (some carry a one-time token) is sent on as a
Referer. HSTS only when the sidecar is served over HTTPS: a local run on http would
otherwise pin the browser to https for the loopback address. Pages may show personal data,
so they are not stored by browsers or proxies; the theme's files may be -- and so they never
carry the session cookie: a shared cache that kept such a response would hand one browser's
login to the next (Flask renews a permanent session's cookie on every response).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from gerbang_sidecar.config import Settings

# Public and the same for everyone; the CRL and CA certificate views set their own lifetimes.
_CACHEABLE_PREFIXES = ("/theme/", "/static/", "/pki/issuing-ca.")


def shared_by_caches(path: str) -> bool:
    """Responses a shared cache may keep and hand to everyone: they carry no one's cookie."""
    return path.startswith(_CACHEABLE_PREFIXES)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(settings: Settings, *, images: str = "'self' data:") -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src {images}",
        "object-src 'none'",
        "base-uri 'none'",
        f"form-action 'self' {_origin(settings.keycloak_browser_url)}",
        "frame-ancestors 'none'",
    ])


def headers_for(settings: Settings) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if settings.public_url.startswith("https://"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


# What someone uploaded (a Surat Kuasa, a KTP scan, a selfie), shown to an officer: in a
# sandbox, so no script of ours or of the document's runs with the sidecar's origin, and
# never in another site's frame (X8). Chromium's own PDF viewer still shows it (tests/e2e).
UPLOADED_DOCUMENT_CSP = "sandbox; default-src 'none'; frame-ancestors 'none'"


def camera_page_headers(settings: Settings) -> dict[str, str]:
    """B4 "Ambil Foto": this origin may use the camera, and the captured frame is shown from
    a ``blob:`` URL. Only the selfie pages send this; every other page keeps camera=()."""
    return {"Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=()",
            "Content-Security-Policy": content_security_policy(
                settings, images="'self' data: blob:")}


class _NoCookieOnSharedResponses(SecureCookieSessionInterface):
    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        return not shared_by_caches(request.path) and super().should_set_cookie(app, session)


def init_app(app: Flask, settings: Settings) -> None:
    fixed = headers_for(settings)
    app.session_interface = _NoCookieOnSharedResponses()

    def add_headers(response: Response) -> Response:
        # A view may set a stricter policy of its own (the reviewer's PDF: a sandbox).
        for name, value in fixed.items():
            response.headers.setdefault(name, value)
        if not shared_by_caches(request.path):
            response.headers["Cache-Control"] = "no-store"
        return response

    app.after_request(add_headers)
