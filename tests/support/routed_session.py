"""A browser behind a load balancer, with the test in the balancer's seat.

Servers of one cluster put one public address into their pages, redirects and tokens (for
Keycloak its ``--hostname``); a load balancer sends what arrives there to one of them. Here
nothing listens on that address for real: this session sends every request meant for it to
the backend the test chose (``route_to``), as a balancer would, and to a different one after
the first has gone, as a balancer fails over. Requests to any other address go where they say.
"""

from __future__ import annotations

from typing import Any

import requests

from support.loopback_session import LoopbackSession


class RoutedSession(LoopbackSession):
    def __init__(self, public_url: str, backend: str):
        super().__init__()
        self.public_url = public_url.rstrip("/")
        self.backend = backend.rstrip("/")
        self.routed: list[tuple[str, str]] = []  # (backend, path) of every routed request

    def route_to(self, backend: str) -> None:
        self.backend = backend.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        if url == self.public_url or url.startswith(self.public_url + "/"):
            request.url = self.backend + url[len(self.public_url):]
            self.routed.append((self.backend, url[len(self.public_url):].split("?")[0]))
        return super().send(request, **kwargs)
