"""The portals the sidecar serves: their realm, login clients and branding.

Branding has one source, the Keycloak themes: the helpdesk contact (C6) is read from the
portal's child theme (``gerbang-<realm>/login/theme.properties`` for phone/email/URL and its
``messages_<lang>.properties`` for the helpdesk's name), so the sidecar's pages and Keycloak's
never disagree. Only the portal's display name is kept here (it lives in realm-config, which
the sidecar does not read at run time).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gerbang_sidecar.web.i18n import translate


@dataclass(frozen=True)
class PortalClient:
    """An OIDC client of a realm whose login the sidecar runs.

    ``path`` is the URL prefix its pages and callback live under; it must match the
    client's redirect URIs ``${SIDECAR_PUBLIC_URL}/<path>/*`` in realm-config.
    """

    realm: str
    client_id: str
    path: str


@dataclass(frozen=True)
class Portal:
    realm: str
    name: str
    client_id: str

    @property
    def theme(self) -> str:
        return f"gerbang-{self.realm}"


PORTALS: dict[str, Portal] = {
    "akses": Portal("akses", "AKSes KSEI", "akses-portal"),
    "oss": Portal("oss", "OSS", "oss-portal"),
    "bsre": Portal("bsre", "BSrE AMS", "bsre-portal"),
    "insw": Portal("insw", "INSW", "insw-portal"),
}

PORTAL_CLIENTS: dict[str, PortalClient] = {
    c.client_id: c for c in (
        PortalClient("akses", "akses-portal", "akses"),
        PortalClient("akses", "easy", "easy"),
        PortalClient("oss", "oss-portal", "oss"),
        PortalClient("bsre", "bsre-portal", "bsre"),
        PortalClient("insw", "insw-portal", "insw"),
    )
}


@dataclass(frozen=True)
class Helpdesk:
    name: str
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
    base = read_properties(themes_dir / "gerbang" / "login" / file)
    child = read_properties(themes_dir / theme / "login" / file)
    return {**base, **child}


def helpdesk(themes_dir: Path, realm: str | None, lang: str) -> Helpdesk:
    theme = PORTALS[realm].theme if realm in PORTALS else "gerbang"
    props = _theme_values(themes_dir, theme, "theme.properties")
    messages = _theme_values(themes_dir, theme, f"messages/messages_{lang}.properties")
    return Helpdesk(
        name=messages.get("gerbangHelpdeskName") or translate("helpdesk.default_name", lang),
        phone=props.get("gerbangHelpdeskPhone", ""),
        email=props.get("gerbangHelpdeskEmail", ""),
        url=props.get("gerbangHelpdeskUrl", ""),
    )
