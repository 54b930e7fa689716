"""The user-admin port over Keycloak's Admin REST API, as each realm's ``gerbang-sidecar``.

One client-credentials connection per realm (python-keycloak ``KeycloakOpenIDConnection``),
created on first use and kept: it renews its token itself. Each realm's client has a secret of
its own, derived from the sidecar's one secret (``realm_secrets.py``). Every call goes through
:meth:`HttpKeycloakUsers._call`, which turns transport failures and HTTP statuses into the
port's errors, so services never see python-keycloak or HTTP.

Log lines name the realm, the operation and our/Keycloak's ids, never a username, email or
attribute value (X3). Every request carries the current request id as ``X-Request-ID``
(``adapters/outgoing_request_ids.py``), and every call is reported to the Metrics port by
operation and outcome (issue 11 item 5).
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import keycloak.exceptions as kc_errors
from keycloak import KeycloakOpenIDConnection
from requests import Response
from urllib3.util.retry import Retry

from gerbang_sidecar.adapters.http_environment import ca_bundle, read_environment_once
from gerbang_sidecar.adapters.keycloak.realm_secrets import realm_client_secret
from gerbang_sidecar.adapters.outgoing_request_ids import send_request_ids
from gerbang_sidecar.ports.keycloak import (
    AccountChanges,
    CredentialChange,
    KeycloakError,
    KeycloakUnavailable,
    LoginFailure,
    NewUser,
    OtpDevice,
    PasswordRejected,
    UserAlreadyExists,
    UserEvent,
    UserRecord,
)
from gerbang_sidecar.ports.metrics import NO_METRICS, Metrics

log = logging.getLogger(__name__)
# Keycloak's error keys and user-profile field names; anything else may be a typed value.
_ERROR_WORD = re.compile(r"[A-Za-z][\w.-]{0,63}")

# A search by an identifier concerns one person; more hits than this means something is wrong.
_SEARCH_MAX = 50
# Failed logins read per poll (newest first); more in one poll interval is an attack that the
# lockout, not a mail per failure, answers.
EVENT_PAGE = 500
# User events after which a user's OTP devices are counted again (B7, B9).
CREDENTIAL_EVENTS = ("UPDATE_CREDENTIAL", "UPDATE_TOTP", "REMOVE_CREDENTIAL", "REMOVE_TOTP")


# Once: a request that never left (connect errors, any method), or the read of an idempotent
# one (e.g. a pooled keep-alive connection Keycloak had just closed). Never a POST's read.
SAFE_RETRY = Retry(total=1, connect=1, read=1, status=0, other=0,
                   allowed_methods=frozenset({"GET", "PUT", "DELETE"}), raise_on_status=False)


class HttpKeycloakUsers:
    def __init__(self, server_url: str, client_id: str, sidecar_secret: str,
                 timeout: float = 5.0, metrics: Metrics = NO_METRICS):
        # urljoin in python-keycloak drops the last path segment without a trailing slash.
        self._server_url = server_url.rstrip("/") + "/"
        self._client_id = client_id
        self._sidecar_secret = sidecar_secret
        # Realms that still hold the shared secret: provisioned before per-realm secrets.
        # Tried when a realm refuses its own, so the sidecars may be upgraded before the
        # provisioning Job runs (and after: a refusal switches back). Remove once every
        # installation has run `provision apply` with per-realm secrets.
        self._shared_secret_realms: set[str] = set()
        self._timeout = timeout
        self._connections: dict[str, KeycloakOpenIDConnection] = {}
        self._lock = threading.Lock()
        self._metrics = metrics
        # Requests sent to Keycloak (every one costs Keycloak a request's work: keep it low).
        self.requests_made = 0

    # ---- plumbing ------------------------------------------------------------------------

    def _connection(self, realm: str) -> KeycloakOpenIDConnection:
        with self._lock:
            connection = self._connections.get(realm)
            if connection is None:
                if not self._sidecar_secret:
                    raise KeycloakError("SIDECAR_CLIENT_SECRET is not set")
                secret = self._sidecar_secret if realm in self._shared_secret_realms \
                    else realm_client_secret(self._sidecar_secret, realm)
                connection = KeycloakOpenIDConnection(
                    server_url=self._server_url, realm_name=realm, client_id=self._client_id,
                    client_secret_key=secret,
                    grant_type="client_credentials",
                    timeout=self._timeout,  # type: ignore[arg-type]  # requests takes floats
                    verify=ca_bundle(),
                )
                # python-keycloak retries POSTs after a read timeout too: Keycloak may have
                # created the user already, and the resend's 409 would strand it. Retry only
                # what is safe to repeat. Its session has no public handle, hence _s.
                send_request_ids(connection._s, SAFE_RETRY)
                # The service account's token comes over a session of its own.
                send_request_ids(connection.keycloak_openid.connection._s)
                read_environment_once(connection._s, self._server_url)
                self._connections[realm] = connection
            return connection

    def _call(self, realm: str, operation: str,
              send: Callable[[KeycloakOpenIDConnection], Response], *,
              retried: bool = False) -> Response:
        """Send one request; 5xx and transport failures become KeycloakUnavailable."""
        started = time.monotonic()
        outcome = "error"
        try:
            response = self._send(realm, operation, send, retried=retried)
            outcome = "ok"
            return response
        except KeycloakUnavailable:
            outcome = "unavailable"
            raise
        finally:
            if not retried:
                self._metrics.keycloak_call(operation=operation, outcome=outcome,
                                            seconds=time.monotonic() - started)

    def _send(self, realm: str, operation: str,
              send: Callable[[KeycloakOpenIDConnection], Response], *,
              retried: bool) -> Response:
        self.requests_made += 1
        try:
            response = send(self._connection(realm))
        except kc_errors.KeycloakConnectionError as exc:
            log.warning("keycloak unreachable realm=%s op=%s", realm, operation)
            raise KeycloakUnavailable(f"Keycloak unreachable ({operation})") from exc
        except kc_errors.KeycloakError as exc:
            # Raised while fetching the service account's token.
            code = exc.response_code or 0
            if code >= 500 or code == 0:
                raise KeycloakUnavailable(f"Keycloak token endpoint failed ({code})") from exc
            if code == 401 and not retried:
                self._switch_secret(realm)
                return self._call(realm, operation, send, retried=True)
            log.error("sidecar service account refused realm=%s op=%s status=%s",
                      realm, operation, code)
            raise KeycloakError(f"service account token refused ({code})") from exc
        if response.status_code == 401 and not retried:
            # The token outlived what issued it (a Keycloak restart without its sessions, a
            # key rotation): a fresh token, once.
            with self._lock:
                self._connections.pop(realm, None)
            return self._call(realm, operation, send, retried=True)
        if response.status_code >= 500:
            log.warning("keycloak error realm=%s op=%s status=%s", realm, operation,
                        response.status_code)
            raise KeycloakUnavailable(f"Keycloak answered {response.status_code} ({operation})")
        return response

    def _switch_secret(self, realm: str) -> None:
        with self._lock:
            self._connections.pop(realm, None)
            if realm in self._shared_secret_realms:
                self._shared_secret_realms.discard(realm)
                return
            self._shared_secret_realms.add(realm)
        log.warning("realm %s refused its own sidecar secret: trying the shared one (run "
                    "`provision apply`, which gives each realm its own)", realm)

    @staticmethod
    def _unexpected(operation: str, response: Response) -> KeycloakError:
        # The body may echo what we sent (an email, an attribute): only Keycloak's own error
        # key and the field it names (user-profile validation) go into the message.
        try:
            body = response.json()
        except ValueError:
            body = None
        reason = ""
        if isinstance(body, dict):
            words = [str(body.get(k, "")) for k in ("field", "errorMessage", "error")]
            reason = " ".join(w for w in words if _ERROR_WORD.fullmatch(w))
        return KeycloakError(f"{operation}: Keycloak answered {response.status_code}"
                             + (f" ({reason})" if reason else ""))

    @staticmethod
    def _admin_url(realm: str) -> str:
        return f"admin/realms/{quote(realm, safe='')}"

    def _users_path(self, realm: str, *parts: str) -> str:
        tail = "/".join(quote(p, safe="") for p in parts)
        return f"admin/realms/{quote(realm, safe='')}/users" + (f"/{tail}" if tail else "")

    def _search(self, realm: str, operation: str, **query: str | int | bool) -> list[dict]:
        params = {"briefRepresentation": "false", "max": _SEARCH_MAX, **query}
        response = self._call(realm, operation, lambda c: c.raw_get(
            self._users_path(realm), **params))
        if response.status_code != 200:
            raise self._unexpected(operation, response)
        return response.json()

    def search_users(self, realm: str, text: str, *, limit: int) -> list[UserRecord]:
        return [self._record(u) for u in self._search(realm, "search users",
                                                       search=text.strip()[:100],
                                                       max=min(limit, _SEARCH_MAX))]

    @staticmethod
    def _record(data: dict[str, Any]) -> UserRecord:
        return UserRecord(
            id=data["id"], username=data["username"], email=data.get("email"),
            first_name=data.get("firstName") or "",
            email_verified=bool(data.get("emailVerified")),
            enabled=bool(data.get("enabled")),
            attributes={k: v[0] for k, v in (data.get("attributes") or {}).items() if v},
        )

    # ---- the port --------------------------------------------------------------------------

    def create_user(self, realm: str, user: NewUser) -> str:
        payload = {
            "username": user.username, "email": user.email, "firstName": user.first_name,
            "emailVerified": user.email_verified, "enabled": user.enabled,
            "attributes": {k: [v] for k, v in user.attributes.items()},
            "requiredActions": list(user.required_actions),
            "groups": [f"/{group}" for group in user.groups],
        }
        response = self._call(realm, "create user", lambda c: c.raw_post(
            self._users_path(realm), data=_json(payload)))
        if response.status_code == 409:
            raise UserAlreadyExists("username or email taken")
        if response.status_code != 201:
            raise self._unexpected("create user", response)
        user_id = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        log.info("keycloak user created realm=%s user_id=%s", realm, user_id)
        return user_id

    def get_user(self, realm: str, user_id: str) -> UserRecord | None:
        response = self._call(realm, "get user", lambda c: c.raw_get(
            self._users_path(realm, user_id)))
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._unexpected("get user", response)
        return self._record(response.json())

    def find_by_username(self, realm: str, username: str, *,
                         email_too: bool = True) -> UserRecord | None:
        wanted = username.strip().lower()
        found = [u for u in self._search(realm, "find by username", username=wanted,
                                         exact="true")
                 if u["username"].lower() == wanted]
        if found:
            return self._record(found[0])
        # Realms allow login by email (C3), so an email typed as "username" names the user too.
        return self.find_by_email(realm, wanted) if email_too and "@" in wanted else None

    def find_by_email(self, realm: str, email: str) -> UserRecord | None:
        wanted = email.strip().lower()
        found = [u for u in self._search(realm, "find by email", email=wanted, exact="true")
                 if (u.get("email") or "").lower() == wanted]
        return self._record(found[0]) if found else None

    def _mapped_roles(self, realm: str, user_id: str, names: list[str]) -> list[dict]:
        """The representations of those of ``names`` mapped to the user directly."""
        response = self._call(realm, "role lookup", lambda c: c.raw_get(
            self._users_path(realm, user_id, "role-mappings", "realm")))
        if response.status_code == 404:
            raise KeycloakError("user not found")
        if response.status_code != 200:
            raise self._unexpected("role lookup", response)
        by_name = {r["name"]: r for r in response.json()}
        return [by_name[n] for n in names if n in by_name]

    def held_realm_roles(self, realm: str, user_id: str,
                         among: Collection[str]) -> frozenset[str]:
        response = self._call(realm, "role lookup", lambda c: c.raw_get(
            self._users_path(realm, user_id, "role-mappings", "realm", "composite")))
        if response.status_code == 404:
            return frozenset()
        if response.status_code != 200:
            raise self._unexpected("role lookup", response)
        return frozenset(r["name"] for r in response.json()) & frozenset(among)

    def remove_realm_roles(self, realm: str, user_id: str, roles: list[str]) -> None:
        held = self._mapped_roles(realm, user_id, roles)
        if not held:
            return
        response = self._call(realm, "remove roles", lambda c: c.raw_delete(
            self._users_path(realm, user_id, "role-mappings", "realm"), data=_json(held)))
        if response.status_code != 204:
            raise self._unexpected("remove roles", response)

    def update_user(self, realm: str, user_id: str, *, email: str | None = None,
                    email_verified: bool | None = None,
                    attributes: dict[str, str] | None = None,
                    enabled: bool | None = None) -> None:
        current = self._call(realm, "get user", lambda c: c.raw_get(
            self._users_path(realm, user_id)))
        if current.status_code != 200:
            raise self._unexpected("get user", current)
        # With the declarative user profile a PUT replaces the whole representation: send back
        # everything Keycloak gave us, changed only where asked.
        data = current.json()
        if email is not None:
            data["email"] = email
        if email_verified is not None:
            data["emailVerified"] = email_verified
        if enabled is not None:
            data["enabled"] = enabled
        if attributes:
            data["attributes"] = {**(data.get("attributes") or {}),
                                  **{k: [v] for k, v in attributes.items()}}
        response = self._call(realm, "update user", lambda c: c.raw_put(
            self._users_path(realm, user_id), data=_json(data)))
        if response.status_code == 409:
            raise UserAlreadyExists("email taken")
        if response.status_code != 204:
            raise self._unexpected("update user", response)

    def send_actions_email(self, realm: str, user_id: str, actions: list[str], *,
                           client_id: str | None = None, redirect_uri: str | None = None,
                           lifespan_seconds: int | None = None) -> None:
        query = {k: v for k, v in {"client_id": client_id, "redirect_uri": redirect_uri,
                                   "lifespan": lifespan_seconds}.items() if v is not None}
        response = self._call(realm, "execute actions email", lambda c: c.raw_put(
            self._users_path(realm, user_id, "execute-actions-email"), data=_json(actions),
            **query))
        if response.status_code != 204:
            raise self._unexpected("execute actions email", response)

    def set_password(self, realm: str, user_id: str, password: str) -> None:
        payload = {"type": "password", "value": password, "temporary": False}
        response = self._call(realm, "set password", lambda c: c.raw_put(
            self._users_path(realm, user_id, "reset-password"), data=_json(payload)))
        if response.status_code == 400:
            raise PasswordRejected(_policy_reason(response))
        if response.status_code != 204:
            raise self._unexpected("set password", response)

    def session_alive(self, realm: str, user_id: str, session_id: str) -> bool:
        user = self._call(realm, "get user", lambda c: c.raw_get(
            self._users_path(realm, user_id)))
        if user.status_code == 404:
            return False
        if user.status_code != 200:
            raise self._unexpected("get user", user)
        if not user.json().get("enabled"):
            return False
        sessions = self._call(realm, "user sessions", lambda c: c.raw_get(
            self._users_path(realm, user_id, "sessions")))
        if sessions.status_code != 200:
            raise self._unexpected("user sessions", sessions)
        return any(s.get("id") == session_id for s in sessions.json())

    def login_failures(self, realm: str, *, since_ms: int) -> list[LoginFailure]:
        day = datetime.fromtimestamp(since_ms / 1000, UTC).strftime("%Y-%m-%d")
        response = self._call(realm, "login errors", lambda c: c.raw_get(
            f"{self._admin_url(realm)}/events", type="LOGIN_ERROR", dateFrom=day, first=0,
            max=EVENT_PAGE))
        if response.status_code != 200:
            raise self._unexpected("login errors", response)
        return [LoginFailure(str(e["userId"]), int(e["time"]), str(e.get("error") or ""))
                for e in response.json() if e.get("userId") and int(e["time"]) > since_ms]

    def is_locked(self, realm: str, user_id: str) -> bool:
        response = self._call(realm, "brute force status", lambda c: c.raw_get(
            f"{self._admin_url(realm)}/attack-detection/brute-force/users/"
            f"{quote(user_id, safe='')}"))
        if response.status_code != 200:
            raise self._unexpected("brute force status", response)
        return bool(response.json().get("disabled"))

    def end_sessions(self, realm: str, user_id: str) -> None:
        response = self._call(realm, "end sessions", lambda c: c.raw_post(
            self._users_path(realm, user_id, "logout"), data=""))
        if response.status_code not in (204, 404):
            raise self._unexpected("end sessions", response)

    def has_password(self, realm: str, user_id: str) -> bool:
        return any(c.get("type") == "password" for c in self._credentials(realm, user_id))

    def remove_password(self, realm: str, user_id: str) -> None:
        for credential in self._credentials(realm, user_id):
            if credential.get("type") == "password":
                self.remove_credential(realm, user_id, str(credential["id"]))

    def otp_devices(self, realm: str, user_id: str) -> list[OtpDevice]:
        devices = [OtpDevice(str(c["id"]), str(c.get("userLabel") or ""),
                             int(c.get("createdDate") or 0))
                   for c in self._credentials(realm, user_id) if c.get("type") == "otp"]
        return sorted(devices, key=lambda d: (d.created_ms, d.id))

    def _credentials(self, realm: str, user_id: str) -> list[dict[str, Any]]:
        """The user's credentials as Keycloak lists them (no secrets); none for a gone user."""
        response = self._call(realm, "credentials", lambda c: c.raw_get(
            self._users_path(realm, user_id, "credentials")))
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise self._unexpected("credentials", response)
        return list(response.json())

    def remove_credential(self, realm: str, user_id: str, credential_id: str) -> None:
        response = self._call(realm, "remove credential", lambda c: c.raw_delete(
            self._users_path(realm, user_id, "credentials", credential_id)))
        if response.status_code not in (204, 404):
            raise self._unexpected("remove credential", response)

    def credential_changes(self, realm: str, *, since_ms: int) -> list[CredentialChange]:
        day = datetime.fromtimestamp(since_ms / 1000, UTC).strftime("%Y-%m-%d")
        events = self._call(realm, "credential events", lambda c: c.raw_get(
            f"{self._admin_url(realm)}/events", type=list(CREDENTIAL_EVENTS), dateFrom=day,
            first=0, max=EVENT_PAGE))
        admin = self._call(realm, "admin events", lambda c: c.raw_get(
            f"{self._admin_url(realm)}/admin-events", resourceTypes="USER", dateFrom=day,
            first=0, max=EVENT_PAGE))
        for response, what in ((events, "credential events"), (admin, "admin events")):
            if response.status_code != 200:
                raise self._unexpected(what, response)
        found = [CredentialChange(str(e["userId"]), int(e["time"]), False)
                 for e in events.json() if e.get("userId") and int(e["time"]) > since_ms]
        ours = self._own_user_id(realm)
        for e in admin.json():
            path = str(e.get("resourcePath") or "").split("/")
            if (e.get("authDetails") or {}).get("userId") == ours:
                continue  # the sidecar's own change: it told the owner itself
            if len(path) >= 2 and path[0] == "users" and int(e["time"]) > since_ms:
                kind = {"credentials": "credential", "reset-password": "password"}.get(
                    path[2] if len(path) > 2 else "", "user")
                found.append(CredentialChange(path[1], int(e["time"]), True, kind))
        return found

    def user_events(self, realm: str, user_id: str, *, limit: int) -> list[UserEvent]:
        response = self._call(realm, "user events", lambda c: c.raw_get(
            f"{self._admin_url(realm)}/events", user=user_id, first=0, max=limit))
        if response.status_code != 200:
            raise self._unexpected("user events", response)
        return [UserEvent(str(e.get("type") or ""), int(e.get("time") or 0),
                          str(e.get("clientId") or ""), str(e.get("ipAddress") or ""),
                          str(e.get("error") or ""))
                for e in response.json()]

    def account_changes(self, realm: str, *, since_ms: int, limit: int) -> AccountChanges:
        changed: dict[str, int] = {}
        until = since_ms
        first = 0
        while True:
            page = self._admin_events(realm, first=first, dateFrom=since_ms, direction="asc")
            for event in page:
                path = str(event.get("resourcePath") or "").split("/")
                # users/<id> itself: created, updated (profile, email) or deleted; what is
                # under it (credentials, groups, sessions) holds no identifier.
                time = int(event.get("time") or 0)
                if len(path) == 2 and path[0] == "users":
                    changed.pop(path[1], None)  # keep the order of latest changes
                    changed[path[1]] = time
                until = max(until, time)
            if len(changed) > limit:
                return AccountChanges(tuple(changed.items()), until, complete=False)
            if len(page) < EVENT_PAGE:
                return AccountChanges(tuple(changed.items()), until, complete=True)
            first += EVENT_PAGE

    def latest_account_change(self, realm: str) -> int:
        newest = self._admin_events(realm, first=0, max=1, direction="desc")
        return int(newest[0].get("time") or 0) if newest else 0

    def _admin_events(self, realm: str, **query: str | int) -> list[dict[str, Any]]:
        # A partial import records each account it adds as a REALM event on users/<id>.
        response = self._call(realm, "admin events", lambda c: c.raw_get(
            f"{self._admin_url(realm)}/admin-events", resourceTypes=["USER", "REALM"],
            **{"max": EVENT_PAGE, **query}))
        if response.status_code != 200:
            raise self._unexpected("admin events", response)
        return list(response.json())

    def list_users(self, realm: str, *, first: int, count: int) -> list[UserRecord]:
        # Keycloak orders a plain listing by username: stable while the pages are read.
        return [self._record(u) for u in self._search(realm, "list users", first=first,
                                                       max=count)]

    def _own_user_id(self, realm: str) -> str | None:
        """The service account's user id: the subject of the token it holds for ``realm``
        (read, not verified: it is compared with events, never trusted for access)."""
        token = (self._connection(realm).token or {}).get("access_token", "")
        try:
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            return None
        return str(claims.get("sub") or "") or None

    def delete_user(self, realm: str, user_id: str) -> None:
        response = self._call(realm, "delete user", lambda c: c.raw_delete(
            self._users_path(realm, user_id)))
        if response.status_code not in (204, 404):
            raise self._unexpected("delete user", response)
        log.info("keycloak user deleted realm=%s user_id=%s", realm, user_id)

    # ---- health --------------------------------------------------------------------------

    def realm_answers(self, realm: str) -> bool:
        """The realm's OIDC discovery document answers (no token needed)."""
        try:
            connection = self._connection(realm)
            response = connection.raw_get(
                f"realms/{quote(realm, safe='')}/.well-known/openid-configuration")
        except kc_errors.KeycloakError:
            return False
        return response.status_code == 200


def _json(value: object) -> str:
    return json.dumps(value)


def _policy_reason(response: Response) -> str:
    """Keycloak's message key for the refused rule (e.g. invalidPasswordMinLengthMessage)."""
    try:
        body = response.json()
    except ValueError:
        return "invalidPassword"
    return str(body.get("error") or body.get("errorMessage") or "invalidPassword")
