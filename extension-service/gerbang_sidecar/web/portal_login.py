"""Logging users in to the sidecar's portal pages: the sidecar is an OIDC client of each realm.

Authorization-code flow with PKCE (S256), state and nonce, as the portal clients in
realm-config require. The browser goes to Keycloak's *public* URL; the code is exchanged and
the keys fetched over the back-channel URL; the ID token's issuer, audience and nonce are
checked. After the callback the login lives in the database (services/portal_sessions.py,
X9); the Flask session (a signed cookie) holds only a random key per client, under
``session["gerbang_login"][client_id]``. The row keeps ``username``, ``name``, ``email``,
``roles`` (realm roles) and ``id_token`` (for RP-initiated logout without a confirmation page)
until the Keycloak session's idle limit; past half of it the next page runs the login again,
silently while Keycloak's own session lives (which keeps that session alive). Access and
refresh tokens are not kept: the sidecar calls Keycloak as its service account, never as
the user.

Routes, for each client ``path`` (``akses``, ``easy``, ``oss``, ``bsre``, ``insw``):
``/<path>/masuk`` (start), ``/<path>/oidc/callback``, ``/<path>/keluar`` (logout).
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlencode, urlsplit

import keycloak.exceptions as kc_errors
from flask import Blueprint, Flask, abort, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from keycloak import KeycloakOpenID
from keycloak.pkce_utils import generate_code_challenge, generate_code_verifier
from werkzeug.wrappers import Response

from gerbang_sidecar import portals
from gerbang_sidecar.config import Settings
from gerbang_sidecar.portals import PortalClient, portal_clients
from gerbang_sidecar.request_ids import REQUEST_ID_HEADER, current_request_id
from gerbang_sidecar.services.portal_sessions import PortalLogin
from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.errors import error_page
from gerbang_sidecar.web.locale import adopt_account_locale, get_locale

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

SESSION_KEY = "gerbang_login"
PENDING_KEY = "gerbang_login_pending"
# Logged in for at most this long without asking Keycloak again, whatever its session says.
MAX_LOCAL_SESSION_SECONDS = 8 * 3600
# How long Keycloak's login page may take before its answer is no longer taken: Keycloak's
# own limit for a login in progress (accessCodeLifespanLogin, 30 minutes by default).
PENDING_LOGIN_SECONDS = 30 * 60
# Logins under way at once per client (one per tab); each is about 200 bytes of the cookie.
MAX_PENDING_LOGINS = 3
# The signature the realms' tokens carry (Keycloak's default; realm-config names no other):
# a token signed any other way is refused, whatever the JWT library would accept.
TOKEN_ALGORITHMS = ["RS256"]



@dataclass(frozen=True)
class PortalUser:
    sub: str
    username: str
    name: str
    email: str | None
    roles: tuple[str, ...]
    id_token: str
    renewal_due: bool = False

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @classmethod
    def of(cls, login: PortalLogin) -> PortalUser:
        d = login.data
        return cls(sub=login.subject, username=d.get("username", ""), name=d.get("name", ""),
                   email=d.get("email"), roles=tuple(d.get("roles", ())),
                   id_token=d.get("id_token", ""), renewal_due=login.renewal_due)


# ---- reading the session ----------------------------------------------------------------

def current_portal_user(client_id: str) -> PortalUser | None:
    """The user logged in through ``client_id`` in this browser, if the login still holds
    here and at Keycloak (asked once per request at most)."""
    cache: dict[str, PortalUser | None] = g.setdefault("portal_users", {})
    if client_id in cache:
        return cache[client_id]
    key = session.get(SESSION_KEY, {}).get(client_id)
    login = services().portal_sessions.current(key) if key else None
    if key and login is None:
        _forget(client_id)
    cache[client_id] = PortalUser.of(login) if login and login.client_id == client_id else None
    return cache[client_id]


def _forget(client_id: str) -> None:
    logins = dict(session.get(SESSION_KEY, {}))
    if logins.pop(client_id, None) is not None:
        session[SESSION_KEY] = logins


def portal_login_required(realm: str, client_id: str
                          ) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Let the view run only for a user logged in through ``client_id`` of ``realm``
    (available as ``g.portal_user``); everyone else goes to Keycloak's login and back. A
    page opened while the login is due for renewal goes through Keycloak too (silently: its
    session lives), so a user busy on these pages is not logged out at Keycloak's idle
    limit; a form sent meanwhile is served, never redirected."""
    login_client = portals.client(client_id)
    if login_client.realm != realm:
        raise ValueError(f"client {client_id} is not a client of realm {realm}")

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            user = current_portal_user(client_id)
            if user is None or (user.renewal_due and request.method == "GET"):
                return start_login(login_client, next_url=_this_page())
            g.portal_user = user
            return view(*args, **kwargs)

        return guarded

    return decorate


def _this_page() -> str:
    return request.full_path.rstrip("?") if request.method == "GET" else f"/{_first_segment()}/"


def _first_segment() -> str:
    return request.path.strip("/").split("/", 1)[0]


# ---- the flow ------------------------------------------------------------------------------

def _settings() -> Settings:
    return services().settings


def redirect_uri(client: PortalClient) -> str:
    return f"{_settings().public_url.rstrip('/')}/{client.path}/oidc/callback"


def authorization_url(settings: Settings, client: PortalClient, *, redirect_to: str,
                      state: str, nonce: str, code_challenge: str, locale: str,
                      kc_action: str | None = None) -> str:
    """Keycloak's login page for the client, on the URL browsers reach Keycloak at.
    ``kc_action``: an application-initiated action (CONFIGURE_TOTP, UPDATE_PASSWORD)."""
    query = urlencode({
        "client_id": client.client_id, "response_type": "code", "scope": "openid",
        "redirect_uri": redirect_to, "state": state, "nonce": nonce,
        "code_challenge": code_challenge, "code_challenge_method": "S256",
        "ui_locales": locale, **({"kc_action": kc_action} if kc_action else {}),
    })
    return (f"{settings.keycloak_browser_url.rstrip('/')}/realms/{client.realm}"
            f"/protocol/openid-connect/auth?{query}")


# A path on this site in plain printable ASCII. Browsers drop tabs and newlines, so "/\t/evil"
# would become "//evil" (another site); control characters would also break the header.
_LOCAL_PATH = re.compile(r"/(?![/\\])[\x21-\x7e]*")


# Kept in the session cookie until the callback; a longer one would push the cookie past what
# browsers keep (4 KB), and no page of ours has such a URL (R1 found it).
MAX_NEXT_LENGTH = 512


def _safe_next(next_url: str | None, client: PortalClient) -> str:
    if next_url and len(next_url) <= MAX_NEXT_LENGTH and _LOCAL_PATH.fullmatch(next_url) \
            and not urlsplit(next_url).netloc:
        return next_url
    return client.landing_url


def start_login(client: PortalClient, next_url: str | None = None, *,
                kc_action: str | None = None) -> Response:
    verifier = generate_code_verifier(64)
    challenge, _method = generate_code_challenge(verifier)
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    pending = dict(session.get(PENDING_KEY, {}))
    mine = _pending_of(pending, client)
    mine[state] = {"nonce": nonce, "verifier": verifier, "next": _safe_next(next_url, client),
                   "started": services().clock().timestamp()}
    # Each tab may be on its way through Keycloak at once (a renewal starts one in every tab
    # opened meanwhile): a few are kept, by their state; the oldest go, so the cookie stays
    # small.
    pending[client.client_id] = dict(sorted(mine.items(), key=lambda kv: kv[1]["started"])
                                     [-MAX_PENDING_LOGINS:])
    session[PENDING_KEY] = pending
    return redirect(authorization_url(
        _settings(), client, redirect_to=redirect_uri(client), state=state, nonce=nonce,
        code_challenge=challenge, locale=get_locale(), kc_action=kc_action))


def _pending_of(pending: dict[str, Any], client: PortalClient) -> dict[str, dict[str, Any]]:
    """The client's logins under way, by state (a cookie of the older shape holds none)."""
    mine = pending.get(client.client_id)
    if not isinstance(mine, dict):
        return {}
    return {k: v for k, v in mine.items() if isinstance(v, dict) and "verifier" in v}


def _openid(client: PortalClient) -> KeycloakOpenID:
    settings = _settings()
    secret = settings.portal_client_secrets.get(client.client_id, "")
    # Made for one request: the code exchange carries its id to Keycloak (issue 11 item 5).
    request_id = current_request_id()
    return KeycloakOpenID(server_url=settings.keycloak_url.rstrip("/") + "/",
                          realm_name=client.realm, client_id=client.client_id,
                          client_secret_key=secret,
                          custom_headers={REQUEST_ID_HEADER: request_id} if request_id else None,
                          timeout=settings.keycloak_timeout_seconds)  # type: ignore[arg-type]


def _client_for_path(path: str) -> PortalClient:
    for candidate in portal_clients():
        if candidate.path == path:
            return candidate
    abort(404)


def _login_failed(reason: str) -> ResponseReturnValue:
    log.info("portal login failed: %s", reason)
    return error_page(400, title_key="login.failed.title", text_key="login.failed.text")


def login(path: str) -> ResponseReturnValue:
    client = _client_for_path(path)
    if current_portal_user(client.client_id) is not None:
        return redirect(_safe_next(request.args.get("next"), client))
    return start_login(client, request.args.get("next"))


def callback(path: str) -> ResponseReturnValue:
    client = _client_for_path(path)
    pending_all = dict(session.get(PENDING_KEY, {}))
    mine = _pending_of(pending_all, client)
    # As bytes: compare_digest refuses str with non-ASCII characters (R1 found a 500).
    state = request.args.get("state", "").encode()
    found = next((k for k in mine if secrets.compare_digest(state, k.encode())), None)
    pending = mine.pop(found) if found is not None else None
    pending_all[client.client_id] = mine
    session[PENDING_KEY] = pending_all
    if pending is None:
        return _login_failed("state missing or different")
    if services().clock().timestamp() - float(pending.get("started", 0)) > \
            PENDING_LOGIN_SECONDS:
        return _login_failed("login started too long ago")
    if "error" in request.args or "code" not in request.args:
        return _login_failed(f"keycloak error {request.args.get('error', 'no code')[:40]}")
    openid = _openid(client)
    try:
        tokens = openid.token(grant_type="authorization_code", code=request.args["code"],
                              redirect_uri=redirect_uri(client),
                              code_verifier=pending["verifier"])
        id_claims = openid.decode_token(tokens["id_token"], algs=TOKEN_ALGORITHMS)
        access_claims = openid.decode_token(tokens["access_token"], algs=TOKEN_ALGORITHMS)
    except kc_errors.KeycloakConnectionError:
        return error_page(503)
    except kc_errors.KeycloakError as exc:
        if (exc.response_code or 0) >= 500:
            return error_page(503)
        return _login_failed(f"code exchange refused ({exc.response_code})")
    except Exception:  # a token that fails validation (signature, expiry, malformed)
        log.warning("portal login: token validation failed", exc_info=True)
        return _login_failed("token validation failed")
    if id_claims.get("nonce") != pending["nonce"] or id_claims.get("azp") != client.client_id:
        return _login_failed("nonce or azp mismatch")
    if not _issued_for(id_claims, client):
        return _login_failed("issuer or audience mismatch")
    _remember(client, tokens, id_claims, access_claims)
    adopt_account_locale(id_claims.get("locale"))
    return redirect(pending["next"])


def _issued_for(claims: dict[str, Any], client: PortalClient) -> bool:
    """The ID token comes from this realm of our Keycloak and names this client (OIDC Core
    3.1.3.7): its issuer is the realm on the public or the back-channel URL (Keycloak names
    itself after the URL it was reached at unless its hostname is fixed)."""
    settings = _settings()
    issuers = {f"{base.rstrip('/')}/realms/{client.realm}"
               for base in (settings.keycloak_browser_url, settings.keycloak_url)}
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    return claims.get("iss") in issuers and client.client_id in audiences


def _remember(client: PortalClient, tokens: dict[str, Any], id_claims: dict[str, Any],
              access_claims: dict[str, Any]) -> None:
    idle = int(tokens.get("refresh_expires_in") or 0) or MAX_LOCAL_SESSION_SECONDS
    roles = [r for r in (access_claims.get("realm_access") or {}).get("roles", [])
             if not r.startswith("default-roles-")
             and r not in ("offline_access", "uma_authorization")]
    # The login this one replaces in the cookie ends with it: a copy of the cookie taken
    # before (a password change logs in again on the same Keycloak session) must not live on.
    replaced = session.get(SESSION_KEY, {}).get(client.client_id)
    renewed = (before := current_portal_user(client.client_id)) is not None \
        and before.sub == id_claims["sub"]
    if replaced is not None:
        services().portal_sessions.end_one(replaced)
    key = services().portal_sessions.start(
        realm=client.realm, client_id=client.client_id, subject=id_claims["sub"],
        keycloak_session=id_claims.get("sid"),
        data={"username": id_claims.get("preferred_username", ""),
              "name": id_claims.get("name") or id_claims.get("given_name") or "",
              "email": id_claims.get("email"), "roles": roles,
              "id_token": tokens["id_token"]},
        lifetime=timedelta(seconds=min(idle, MAX_LOCAL_SESSION_SECONDS)))
    # Another person's login must never survive beside this one (a shared computer): the
    # keys of other clients stay only when they belong to the same account, and the others
    # end (a copy of the cookie taken before must not keep them).
    logins = {}
    for cid, other in session.get(SESSION_KEY, {}).items():
        if cid == client.client_id:
            continue  # the replaced login, ended above
        user = current_portal_user(cid)
        if user is not None and user.sub == id_claims["sub"]:
            logins[cid] = other
        else:
            services().portal_sessions.end_one(other)
    logins[client.client_id] = key
    session[SESSION_KEY] = logins
    g.pop("portal_users", None)
    # A form token from before the login is not one of the logged-in user's -- unless the
    # login renews the same account's (forms open in other tabs keep working).
    if not renewed:
        session.pop("csrf_token", None)
    # A fresh login gets a fresh session cookie lifetime; the cookie is HttpOnly and signed.
    session.permanent = True


def logout(path: str) -> ResponseReturnValue:
    """Forget every login of this browser here, then end Keycloak's session (RP-initiated
    logout). POST only, with the CSRF token: a link on another site must not log users out."""
    client = _client_for_path(path)
    user = current_portal_user(client.client_id)
    settings = _settings()
    back = f"{settings.public_url.rstrip('/')}/{client.path}/"
    query = {"client_id": client.client_id, "post_logout_redirect_uri": back,
             "ui_locales": get_locale()}
    if user is not None:
        query["id_token_hint"] = user.id_token
    # X9: every sidecar login of this account ends, wherever a copy of the cookie is; and
    # nothing else of this browser's stays in the cookie (links opened, registrations under
    # way, the form token): the next person at a shared computer starts clean.
    for key in session.get(SESSION_KEY, {}).values():
        services().portal_sessions.end(key)
    session.clear()
    g.pop("portal_users", None)
    return redirect(f"{settings.keycloak_browser_url.rstrip('/')}/realms/{client.realm}"
                    f"/protocol/openid-connect/logout?{urlencode(query)}")


def init_app(app: Flask) -> None:
    """Routes under every portal client's path, from the portal table (made here, not at
    import: the table decides which paths exist)."""
    bp = Blueprint("portal_login", __name__)
    # "any" matches the clients' path prefixes only and leaves every other URL alone.
    prefix = f"/<any({', '.join(sorted({c.path for c in portal_clients()}))}):path>"
    bp.add_url_rule(f"{prefix}/masuk", view_func=login, methods=["GET"])
    bp.add_url_rule(f"{prefix}/oidc/callback", view_func=callback, methods=["GET"])
    bp.add_url_rule(f"{prefix}/keluar", view_func=logout, methods=["POST"])
    app.register_blueprint(bp)
    app.jinja_env.globals["current_portal_user"] = current_portal_user
    app.jinja_env.globals["login_url"] = lambda client_id: url_for(
        "portal_login.login", path=portals.client(client_id).path)
