"""The admin REST calls provisioning makes, through python-keycloak's connection.

python-keycloak logs in, refreshes the token and maps errors; this class adds a count of
requests and writes (so a no-op apply can be shown to write nothing) and turns every
failure into :class:`ApiError` with a sentence a DevOps engineer can act on.
"""

from __future__ import annotations

import json
from typing import Any

from keycloak import KeycloakOpenIDConnection
from keycloak.exceptions import KeycloakConnectionError, KeycloakError
from requests import Response


class ApiError(Exception):
    """A call to Keycloak failed; the message says which and why, ``status`` the HTTP
    status when Keycloak answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CountingConnection(KeycloakOpenIDConnection):
    requests_made: int = 0
    writes_made: int = 0

    def raw_get(self, *args: Any, **kwargs: Any) -> Response:
        self.requests_made += 1
        return super().raw_get(*args, **kwargs)

    def raw_post(self, *args: Any, **kwargs: Any) -> Response:
        self.requests_made += 1
        self.writes_made += 1
        return super().raw_post(*args, **kwargs)

    def raw_put(self, *args: Any, **kwargs: Any) -> Response:
        self.requests_made += 1
        self.writes_made += 1
        return super().raw_put(*args, **kwargs)

    def raw_delete(self, *args: Any, **kwargs: Any) -> Response:
        self.requests_made += 1
        self.writes_made += 1
        return super().raw_delete(*args, **kwargs)


class KeycloakApi:
    """Logged in to the master realm as an admin user (``username``, ``password``) or, with
    ``client_secret``, as the service account of the confidential client ``username``."""

    def __init__(self, server_url: str, username: str, password: str = "", timeout: int = 30,
                 *, client_secret: str = ""):
        self.server_url = server_url.rstrip("/")
        login = ({"client_id": username, "client_secret_key": client_secret} if client_secret
                 else {"client_id": "admin-cli", "username": username, "password": password})
        try:
            self.connection = CountingConnection(
                server_url=self.server_url, realm_name="master", timeout=timeout, **login)
            self.connection.get_token()
        except KeycloakConnectionError as exc:
            raise ApiError(f"cannot reach Keycloak at {self.server_url} ({_cause(exc)})") from exc
        except KeycloakError as exc:
            # A wrong password is a 401 or a 400 invalid_grant depending on the version.
            check = ("KEYCLOAK_PROVISIONER_CLIENT_ID / KEYCLOAK_PROVISIONER_SECRET"
                     if client_secret else "KEYCLOAK_ADMIN_USER / KEYCLOAK_ADMIN_PASSWORD")
            raise ApiError(f"Keycloak at {self.server_url} refused the admin login for "
                           f"{username!r}: check {check}") from exc

    @property
    def requests_made(self) -> int:
        return self.connection.requests_made

    @property
    def writes_made(self) -> int:
        return self.connection.writes_made

    def get(self, path: str, **params: Any) -> Any:
        response = self._call("GET", path, lambda: self.connection.raw_get(
            self._url(path), **params))
        return response.json() if response.content else None

    def get_or_none(self, path: str) -> Any:
        response = self._call("GET", path, lambda: self.connection.raw_get(self._url(path)),
                              allow_404=True)
        return None if response.status_code == 404 else response.json()

    def post(self, path: str, body: Any) -> Response:
        return self._call("POST", path, lambda: self.connection.raw_post(
            self._url(path), data=_json(body)))

    def put(self, path: str, body: Any) -> Response:
        return self._call("PUT", path, lambda: self.connection.raw_put(
            self._url(path), data=_json(body)))

    def delete(self, path: str, body: Any = None) -> Response:
        return self._call("DELETE", path, lambda: self.connection.raw_delete(
            self._url(path), data=_json(body) if body is not None else None))

    def _url(self, path: str) -> str:
        return f"{self.server_url}/admin/realms{path}"

    def _call(self, method: str, path: str, send: Any, allow_404: bool = False) -> Response:
        try:
            response: Response = send()
        except KeycloakConnectionError as exc:
            raise ApiError(f"lost the connection to Keycloak during {method} {path} "
                           f"({_cause(exc)})") from exc
        if response.status_code >= 400 and not (allow_404 and response.status_code == 404):
            raise ApiError(f"Keycloak answered {response.status_code} to {method} {path}: "
                           f"{_error_text(response)}", response.status_code)
        return response


def _json(body: Any) -> str:
    return json.dumps(body)


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    return type(cause).__name__


def _error_text(response: Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300] or response.reason
    if isinstance(body, dict):
        return str(body.get("errorMessage") or body.get("error_description")
                   or body.get("error") or body)[:300]
    return str(body)[:300]
