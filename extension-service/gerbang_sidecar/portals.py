"""The portals Gerbang serves: the one table every part of the system reads.

Config takes the portal clients' secret variables from it, the web layer its login routes and
page packages, the health check its realms and registries, ``make run`` its list of realms,
and ``provision validate`` checks realm-config/ against it (realm, display name, theme, the
clients' exact redirect URIs). Adding a portal is one entry here, its realm folder, its theme
and its own package under ``web/`` and ``services/``.

The helpdesk contact (C6) is not repeated here: it lives in the portal's login theme, the one
place Keycloak's own pages can read it, and the sidecar reads it from there (``helpdesk``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from gerbang_sidecar.ports.registries import Registries

# The outside systems a portal's pages may consult (ports/registries.py).
REGISTRIES = tuple(f.name for f in fields(Registries))


@dataclass(frozen=True)
class PortalClient:
    """An OIDC client of a realm whose login the sidecar runs.

    ``path`` is the URL prefix its pages and callback live under. ``secret_variable`` is the
    environment variable holding the client's secret, the same placeholder the realm file uses.
    """

    realm: str
    client_id: str
    path: str
    secret_variable: str
    # Where a login that names no page lands, under ``/<path>/`` (OSS O6: "Home").
    landing: str = ""
    # Pages under ``/<path>/`` that Keycloak's action emails lead back to, beside the landing
    # (activation, a new password, a changed profile).
    returns: tuple[str, ...] = ()

    @property
    def landing_url(self) -> str:
        """The page a login that names none lands on (the start page when ``landing`` is
        empty)."""
        return f"/{self.path}/{self.landing}"

    @property
    def redirect_paths(self) -> tuple[str, ...]:
        """Every page under ``/<path>/`` Keycloak may send a browser back to: the login
        callback, the start page after logout, the landing and the action emails' pages.
        realm-config declares exactly these as the client's redirect URIs (provisioning
        checks): a wildcard would let a code or token travel to any page of the path."""
        return tuple(dict.fromkeys(("oidc/callback", "", self.landing, *self.returns)))


@dataclass(frozen=True)
class ForgotPassword:
    """A portal's forgot-password pages (``/<path>/lupa-kata-sandi``): what the typed
    identifier may name, the channels offered, the page after the new password."""

    lookups: tuple[str, ...]  # username (also matches the email), nik, passport, sid
    channels: tuple[str, ...] = ("email",)
    landing: str = ""  # under the portal client's path


@dataclass(frozen=True)
class Portal:
    realm: str
    name: str  # the realm's displayName, and the brand on sidecar pages and mails
    clients: tuple[PortalClient, ...]  # the first is the portal's own; others (eASY) follow
    registries: tuple[str, ...]  # what its pages consult: health probes, docs
    # Its package under web/ (``gerbang_sidecar.web.<pages>``), or None while it has none.
    pages: str | None = None
    forgot_password: ForgotPassword | None = None
    # The identity record kinds its accounts hold (domain/<portal>/accounts.py records them
    # at activation; the identity index follows accounts made elsewhere).
    indexed: tuple[str, ...] = ("email", "phone")
    # How long after its form a self-registered account may stay unactivated (neither a
    # verified address nor a password) before housekeeping removes it; None: never (the
    # accounts someone reviewed or verified).
    unactivated_kept: timedelta | None = None

    @property
    def client(self) -> PortalClient:
        return self.clients[0]

    @property
    def client_id(self) -> str:
        return self.client.client_id

    @property
    def theme(self) -> str:
        return f"gerbang-{self.realm}"


def _clients(realm: str, *entries: tuple[Any, ...]) -> tuple[PortalClient, ...]:
    return tuple(PortalClient(realm, *entry) for entry in entries)


# Far longer than an activation link lives (12 hours, a resend's too), so an owner who is slow
# to open the mail can still get in through forgot password; short enough that a stranger's
# registration does not hold an email, NIK or passport for long.
UNACTIVATED_KEPT = timedelta(days=14)

PORTALS: tuple[Portal, ...] = (
    Portal("akses", "AKSes KSEI",
           _clients("akses", ("akses-portal", "akses", "AKSES_PORTAL_CLIENT_SECRET", "beranda"),
                    ("easy", "easy", "EASY_CLIENT_SECRET")),
           registries=("dukcapil", "ksei", "message_gateway"), pages="akses",
           forgot_password=ForgotPassword(lookups=("username", "nik", "passport", "sid"),
                                          channels=("email", "sms"), landing="beranda"),
           indexed=("nik", "passport", "sid", "email", "phone"),
           unactivated_kept=UNACTIVATED_KEPT),
    Portal("oss", "OSS", _clients("oss", ("oss-portal", "oss", "OSS_PORTAL_CLIENT_SECRET", "home")),
           registries=("dukcapil",), pages="oss",
           forgot_password=ForgotPassword(lookups=("username",), landing="home"),
           indexed=("nik", "passport", "email", "phone"), unactivated_kept=UNACTIVATED_KEPT),
    Portal("bsre", "BSrE AMS",
           _clients("bsre", ("bsre-portal", "bsre", "BSRE_PORTAL_CLIENT_SECRET", "dashboard",
                             ("profil",))),
           registries=("dukcapil", "bkn", "sipp", "message_gateway"), pages="bsre",
           indexed=("nik", "nip", "nrp", "email", "phone")),
    Portal("insw", "INSW",
           _clients("insw", ("insw-portal", "insw", "INSW_PORTAL_CLIENT_SECRET", "home")),
           registries=("oss",), pages="insw",
           forgot_password=ForgotPassword(lookups=("username",), landing="home")),
)


def realms() -> tuple[str, ...]:
    return tuple(p.realm for p in PORTALS)


def portal(realm: str) -> Portal:
    """The portal of ``realm``; KeyError for a realm Gerbang does not serve."""
    for entry in PORTALS:
        if entry.realm == realm:
            return entry
    raise KeyError(realm)


def find_portal(realm: str | None) -> Portal | None:
    return next((p for p in PORTALS if p.realm == realm), None)


def portal_clients() -> tuple[PortalClient, ...]:
    return tuple(c for p in PORTALS for c in p.clients)


def client(client_id: str) -> PortalClient:
    for entry in portal_clients():
        if entry.client_id == client_id:
            return entry
    raise KeyError(client_id)


def registries_in_use() -> tuple[str, ...]:
    used = {name for p in PORTALS for name in p.registries}
    return tuple(name for name in REGISTRIES if name in used)


# --- the helpdesk contact, read from the portal's login theme (C6) ----------------------------

BASE_THEME = "gerbang"


@dataclass(frozen=True)
class Helpdesk:
    name: str  # empty: the theme names none (the page says "the portal's helpdesk")
    phone: str
    email: str
    url: str


def read_properties(path: Path) -> dict[str, str]:
    """A Java .properties file, the subset our themes use (key=value, # comments, UTF-8)."""
    if not path.is_file():
        return {}
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "!")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = value.strip()
    return values


@cache
def _theme_values(themes_dir: Path, theme: str, file: str) -> dict[str, str]:
    # Child theme over the base theme, as Keycloak resolves them.
    base = read_properties(themes_dir / BASE_THEME / "login" / file)
    child = read_properties(themes_dir / theme / "login" / file)
    return {**base, **child}


def helpdesk(themes_dir: Path, realm: str | None, lang: str) -> Helpdesk:
    found = find_portal(realm)
    theme = found.theme if found else BASE_THEME
    props = _theme_values(themes_dir, theme, "theme.properties")
    messages = _theme_values(themes_dir, theme, f"messages/messages_{lang}.properties")
    return Helpdesk(
        name=messages.get("gerbangHelpdeskName", ""),
        phone=props.get("gerbangHelpdeskPhone", ""),
        email=props.get("gerbangHelpdeskEmail", ""),
        url=props.get("gerbangHelpdeskUrl", ""),
    )
