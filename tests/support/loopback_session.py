"""A requests session that treats the loopback test servers as a browser does."""

from __future__ import annotations

from typing import Any

import requests


class LoopbackSession(requests.Session):
    """Keycloak marks its cookies Secure; browsers send those to http://127.0.0.1 (a secure
    context), Python's cookie jar does not. Behave like the browser for our test servers."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = super().send(request, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response
