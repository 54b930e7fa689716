"""Driving Keycloak's own pages over HTTP the way a browser would, without a browser.

The same idea as tests/support (kept separate: benchmarks do not import the test suite):
read a page's form fields, post them back with the user's values, follow redirects inside
Keycloak, and stop at the redirect that leaves for the client.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlparse

import requests


@dataclass
class Form:
    action: str
    id: str = ""
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(action=a.get("action", ""), id=a.get("id", "")))
        elif tag in ("input", "select") and self.forms and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.forms[-1].fields[a["name"]] = a.get("value", "")


def find_form(html: str, form_id: str) -> Form | None:
    parser = _FormParser()
    parser.feed(html)
    return next((f for f in parser.forms if f.id == form_id), None)


class PageError(RuntimeError):
    """Keycloak did not show the page the benchmark expected (a failed operation)."""


@dataclass
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        return cls(verifier, challenge)


class Browser:
    """One fresh browser (cookie jar) against one realm and client."""

    def __init__(self, keycloak_url: str, realm: str, client_id: str, redirect_uri: str,
                 client_secret: str | None = None) -> None:
        self.session = requests.Session()
        self.realm_url = f"{keycloak_url}/realms/{realm}"
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.pkce = Pkce.new()

    def _query(self) -> str:
        return urlencode({
            "client_id": self.client_id, "redirect_uri": self.redirect_uri,
            "response_type": "code", "scope": "openid", "state": secrets.token_hex(8),
            "code_challenge": self.pkce.challenge, "code_challenge_method": "S256",
            "ui_locales": "id",
        })

    def open_login(self) -> requests.Response:
        return self.get(f"{self.realm_url}/protocol/openid-connect/auth?{self._query()}")

    def open_registration(self) -> requests.Response:
        return self.get(f"{self.realm_url}/protocol/openid-connect/registrations?{self._query()}")

    def get(self, url: str) -> requests.Response:
        return self._follow(self.session.get(url, allow_redirects=False))

    def submit(self, page: requests.Response, form_id: str, **values: str) -> requests.Response:
        form = find_form(page.text, form_id)
        if form is None:
            raise PageError(f"no form #{form_id} on {page.url} (status {page.status_code})")
        response = self.session.post(form.action, data={**form.fields, **values},
                                     allow_redirects=False)
        return self._follow(response)

    def code_from(self, response: requests.Response) -> str:
        location = response.headers.get("Location", "")
        code = parse_qs(urlparse(location).query).get("code", [None])[0]
        if not response.is_redirect or not code:
            raise PageError(f"expected a redirect with a code, got {response.status_code}"
                            f"{_page_message(response)}")
        return code

    def exchange(self, code: str) -> dict[str, str]:
        """The client's back-channel half of the authorization-code flow."""
        data = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": self.redirect_uri, "client_id": self.client_id,
                "code_verifier": self.pkce.verifier}
        if self.client_secret:
            data["client_secret"] = self.client_secret
        response = self.session.post(f"{self.realm_url}/protocol/openid-connect/token",
                                     data=data)
        if response.status_code != 200 or "access_token" not in response.json():
            raise PageError(f"token exchange answered {response.status_code}")
        return response.json()

    def _follow(self, response: requests.Response) -> requests.Response:
        self._trust_loopback_cookies()
        while response.is_redirect:
            location = response.headers["Location"]
            if location.startswith(self.redirect_uri):
                break  # leaving Keycloak for the client: the caller reads the code
            response = self.session.get(location, allow_redirects=False)
            self._trust_loopback_cookies()
        return response

    def _trust_loopback_cookies(self) -> None:
        # Keycloak marks its cookies Secure; a browser sends them to http://127.0.0.1 (a secure
        # context), requests' cookie jar does not. Behave like the browser on loopback.
        for cookie in self.session.cookies:
            cookie.secure = False


def _page_message(response: requests.Response) -> str:
    """What a page that should have redirected says instead (Keycloak's error or alert
    text), so a failed operation in a benchmark's log names its reason."""
    found = re.search(r'(?s)<(?:span|div)[^>]*(?:input-error|alert|kc-feedback-text|'
                      r'gb-alert)[^>]*>(.*?)</(?:span|div)>', response.text or "")
    if not found:
        return ""
    text = " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())
    return f": {text[:160]}" if text else ""
