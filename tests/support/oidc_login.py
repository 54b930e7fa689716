"""Log in to a realm through Keycloak's own pages, as a browser would, without a browser.

Used where the page's look does not matter (policies, lockout, OTP): an authorization-code
request with PKCE, then form posts; the outcome is either a redirect carrying a code or the
next page Keycloak shows.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlparse

import requests

from support.forms import form
from support.loopback_session import LoopbackSession


@dataclass
class Step:
    response: requests.Response

    @property
    def code(self) -> str | None:
        """The authorization code when Keycloak redirected back to the client."""
        location = self.response.headers.get("Location", "")
        return parse_qs(urlparse(location).query).get("code", [None])[0]

    @property
    def html(self) -> str:
        return self.response.text


class BrowserLogin:
    def __init__(self, keycloak_url: str, realm: str, client_id: str, redirect_uri: str,
                 locale: str = "id"):
        self.session = LoopbackSession()
        self.realm_url = f"{keycloak_url}/realms/{realm}"
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.locale = locale

    def open(self, kc_action: str | None = None) -> Step:
        """The authorization request; ``kc_action`` asks for an application-initiated action
        (CONFIGURE_TOTP, UPDATE_PASSWORD), as the account console and B23's pages do."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode({
            "client_id": self.client_id, "redirect_uri": self.redirect_uri,
            "response_type": "code", "scope": "openid", "state": secrets.token_hex(8),
            "code_challenge": challenge, "code_challenge_method": "S256",
            "ui_locales": self.locale, **({"kc_action": kc_action} if kc_action else {}),
        })
        return self._follow(self.session.get(f"{self.realm_url}/protocol/openid-connect/auth?"
                                             f"{query}", allow_redirects=False))

    def submit(self, step: Step, form_id: str | None = None, **values: str) -> Step:
        page_form = form(step.html, form_id)
        data = {**page_form.fields, **values}
        return self._follow(self.session.post(page_form.action, data=data, allow_redirects=False))

    def password(self, username: str, password: str) -> Step:
        return self.submit(self.open(), "kc-form-login", username=username, password=password)

    def _follow(self, response: requests.Response) -> Step:
        """Follow redirects inside Keycloak; stop at the one that leaves for the client."""
        while response.is_redirect:
            location = response.headers["Location"]
            if location.startswith(self.redirect_uri.split("*")[0].rsplit("/", 1)[0]):
                break
            response = self.session.get(location, allow_redirects=False)
        return Step(response)
