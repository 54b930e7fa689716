"""Settings from environment variables, each with a default that suits a local run.

Loading settings writes nothing. Production (``GERBANG_ENV=production``) refuses to start
without its secrets; a local run reads the ones ``python -m gerbang_sidecar init`` generated
once into the instance folder (git-ignored), see :func:`write_local_secrets`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from gerbang_sidecar.portals import portal_clients

DEFAULT_INSTANCE = Path(__file__).resolve().parent.parent / "instance"
# The repository's Keycloak themes: the sidecar serves their stylesheet and reads their
# helpdesk contacts from here, so there is one source for both (the image keeps /app/themes).
DEFAULT_THEMES_DIR = Path(__file__).resolve().parent.parent.parent / "themes"
# npm packages the pages use (extension-service/widgets/package.json), installed by `make`.
DEFAULT_WIDGETS_DIR = Path(__file__).resolve().parent.parent / "widgets" / "node_modules"


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


@dataclass(frozen=True)
class RegistryUrls:
    dukcapil: str = "http://127.0.0.1:8090/dukcapil"
    oss: str = "http://127.0.0.1:8090/oss"
    ksei: str = "http://127.0.0.1:8090/ksei"
    bkn: str = "http://127.0.0.1:8090/bkn"
    sipp: str = "http://127.0.0.1:8090/sipp"
    message_gateway: str = "http://127.0.0.1:8090/gateway"


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    instance_path: Path = DEFAULT_INSTANCE
    database_url: str = ""
    # Connections per process (SQLAlchemy's pool: kept open, and more for bursts): the
    # database's max_connections must cover every process of every replica.
    database_pool_size: int = 5
    database_max_overflow: int = 10
    secret_key: str = ""
    # AES-256-GCM key for personal identifiers at rest and HMAC key for their blind index (X3).
    pii_key: str = ""
    blind_index_key: str = ""
    # Encrypts the CA's private keys at rest (issue 12; docs/certificates.md).
    ca_key: str = ""
    keycloak_url: str = "http://127.0.0.1:8080"
    keycloak_client_id: str = "gerbang-sidecar"
    keycloak_client_secret: str = ""
    # Keycloak as browsers reach it (login redirects, logout); the back-channel uses keycloak_url.
    # Empty means the same as keycloak_url.
    keycloak_public_url: str = ""
    keycloak_timeout_seconds: float = 5.0
    # X9: how long a portal login is trusted before Keycloak is asked again whether its
    # session still lives (a logout elsewhere, a reset, a disabled account end it there).
    portal_session_recheck_seconds: float = 30.0
    # Secrets of the portal clients the sidecar logs users in through, by client id.
    portal_client_secrets: dict[str, str] = field(default_factory=dict)
    public_url: str = ""  # outside production: LOCAL_PUBLIC_URL when unset
    # Where certificates say their CRL, issuer certificate and OCSP responder are (AIA, CRL
    # distribution point; X6). Production gives plain http: relying parties fetch them so
    # (RFC 5280 4.2.1.13, 4.2.2.1; Windows and Adobe Reader do not fetch a CRL over https)
    # and every answer is signed. Empty means public_url.
    pki_public_url: str = ""
    registries: RegistryUrls = field(default_factory=RegistryUrls)
    registry_timeout_seconds: float = 5.0
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    # The same variables the realms' SMTP settings use, so Keycloak and the sidecar share a relay.
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    mail_from: str = "no-reply@gerbang.local"
    # Production sends identifiers to the registries and links to the mail relay only over
    # TLS unless they are on this machine; staging's fakes and Mailpit have no TLS.
    plaintext_outbound_allowed: bool = False
    log_level: str = "INFO"
    themes_dir: Path = DEFAULT_THEMES_DIR
    widgets_dir: Path = DEFAULT_WIDGETS_DIR
    # O2/O3 captcha difficulty: PBKDF2 iterations per attempt (bench/captcha.py measures the
    # solve time on a throttled phone-class CPU).
    captcha_cost: int = 2000
    # The outbox's first retry after a failure; each later one waits twice as long (to 1 hour).
    outbox_retry_seconds: float = 30.0
    # X2 limits on public forms; tests of other concerns may switch them off.
    rate_limits_enabled: bool = True
    # Networks of the reverse proxies in front of the sidecar whose X-Forwarded-For/-Proto/-Host
    # to trust (rate limits count by the client address this yields); empty = reached directly.
    trusted_proxies: str = ""
    # Which implementation of each outside system the composition root builds (wiring.py):
    # the real one, or the in-memory twin for tests and offline demos.
    keycloak_backend: str = "http"  # http | fake
    registry_backend: str = "http"  # http | fake
    mail_backend: str = "smtp"  # smtp | memory | null
    # Deliver the outbox from a thread of the web process (make run, test servers) instead of
    # the separate ``python -m gerbang_sidecar outbox`` process production runs.
    outbox_in_process: bool = False

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def keycloak_browser_url(self) -> str:
        return self.keycloak_public_url or self.keycloak_url

    @property
    def publication_url(self) -> str:
        """The base of every certificate's AIA and CRL addresses."""
        return self.pki_public_url or self.public_url


_ENV_NAMES = {
    "env": "GERBANG_ENV",
    "instance_path": "GERBANG_INSTANCE_PATH",
    "database_url": "DATABASE_URL",
    "database_pool_size": "DATABASE_POOL_SIZE",
    "database_max_overflow": "DATABASE_MAX_OVERFLOW",
    "secret_key": "GERBANG_SECRET_KEY",
    "pii_key": "GERBANG_PII_KEY",
    "blind_index_key": "GERBANG_BLIND_INDEX_KEY",
    "ca_key": "GERBANG_CA_KEK",
    "keycloak_url": "KEYCLOAK_URL",
    "keycloak_client_id": "SIDECAR_CLIENT_ID",
    "keycloak_client_secret": "SIDECAR_CLIENT_SECRET",
    "public_url": "SIDECAR_PUBLIC_URL",
    "pki_public_url": "PKI_PUBLIC_URL",
    "registry_timeout_seconds": "REGISTRY_TIMEOUT_SECONDS",
    "smtp_host": "SMTP_HOST",
    "smtp_port": "SMTP_PORT",
    "smtp_starttls": "SMTP_STARTTLS",
    "smtp_user": "SMTP_USER",
    "smtp_password": "SMTP_PASSWORD",
    "mail_from": "MAIL_FROM",
    "plaintext_outbound_allowed": "ALLOW_PLAINTEXT_OUTBOUND",
    "log_level": "LOG_LEVEL",
    "keycloak_public_url": "KEYCLOAK_PUBLIC_URL",
    "keycloak_timeout_seconds": "KEYCLOAK_TIMEOUT_SECONDS",
    "portal_session_recheck_seconds": "PORTAL_SESSION_RECHECK_SECONDS",
    "themes_dir": "THEMES_DIR",
    "widgets_dir": "WIDGETS_DIR",
    "captcha_cost": "CAPTCHA_COST",
    "rate_limits_enabled": "RATE_LIMITS_ENABLED",
    "trusted_proxies": "TRUSTED_PROXIES",
    "keycloak_backend": "KEYCLOAK_BACKEND",
    "registry_backend": "REGISTRY_BACKEND",
    "mail_backend": "MAIL_BACKEND",
    "outbox_in_process": "OUTBOX_IN_PROCESS",
    "outbox_retry_seconds": "OUTBOX_RETRY_SECONDS",
}
# Portal clients (realm-config/<realm>/clients) whose secrets the sidecar needs for logins.
_PORTAL_SECRET_ENV_NAMES = {c.client_id: c.secret_variable for c in portal_clients()}
_BACKENDS = {"keycloak_backend": ("http", "fake"), "registry_backend": ("http", "fake"),
             "mail_backend": ("smtp", "memory", "null")}
_REGISTRY_ENV_NAMES = {
    "dukcapil": "DUKCAPIL_URL",
    "oss": "OSS_URL",
    "ksei": "KSEI_URL",
    "bkn": "BKN_URL",
    "sipp": "SIPP_URL",
    "message_gateway": "MESSAGE_GATEWAY_URL",
}
SECRET_FIELDS = ("secret_key", "pii_key", "blind_index_key", "ca_key")
# The CA's keys are PKCS#8 under the KEK with cryptography's BestAvailableEncryption (PBKDF2 at
# 2,048 rounds): only a random KEK makes a stolen database worthless; the same for the rest.
MIN_SECRET_LENGTH = 32
LOCAL_PUBLIC_URL = "http://127.0.0.1:5000"
# A DNS name (labels of letters, digits and inner hyphens) or an IP address, as urlsplit
# gives it (lower case, IPv6 without brackets).
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
                   r"|[0-9a-f:.]*:[0-9a-f:.]*")


def documented_variables() -> dict[str, str]:
    """Every environment variable the sidecar reads, by setting name (for docs and tests)."""
    return {**_ENV_NAMES, **{f"registries.{k}": v for k, v in _REGISTRY_ENV_NAMES.items()},
            **{f"portal_client_secrets.{k}": v for k, v in _PORTAL_SECRET_ENV_NAMES.items()}}


def load_settings(environ: os._Environ[str] | dict[str, str] | None = None, *,
                  secrets_required: bool = True, **overrides: object) -> Settings:
    """Settings from ``environ`` (default: the process environment) and ``overrides``.

    ``secrets_required=False`` leaves missing local secrets empty instead of refusing (for
    the command that generates them)."""
    env = dict(os.environ if environ is None else environ)
    values: dict[str, object] = {}
    types = {f.name: f.type for f in fields(Settings)}
    for name, var in _ENV_NAMES.items():
        if var in env and env[var] != "":
            raw = env[var]
            kind = types[name]
            if kind in ("int", int):
                values[name] = _as_number(var, raw, int)
            elif kind in ("float", float):
                values[name] = _as_number(var, raw, float)
            elif kind in ("Path", Path):
                values[name] = Path(raw)
            elif kind in ("bool", bool):
                values[name] = parse_flag(var, raw)
            else:
                values[name] = raw
    registries = {k: env[v] for k, v in _REGISTRY_ENV_NAMES.items() if env.get(v)}
    if registries:
        values["registries"] = RegistryUrls(**registries)
    portal_secrets = {k: env[v] for k, v in _PORTAL_SECRET_ENV_NAMES.items() if env.get(v)}
    if portal_secrets:
        values["portal_client_secrets"] = portal_secrets
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    return _complete(settings, secrets_required)


def _as_number(var: str, raw: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(raw)
    except ValueError as exc:
        raise ConfigError(f"{var} must be a number, got {raw!r}") from exc


def parse_flag(var: str, raw: str) -> bool:
    """A true/false setting as every Gerbang process reads it (provisioning too)."""
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{var} must be true or false, got {raw!r}")


def _complete(settings: Settings, secrets_required: bool) -> Settings:
    """Check the backends; fill the database URL and, outside production, the local secrets
    that ``write_local_secrets`` generated. Reads files, never writes them."""
    for name, allowed in _BACKENDS.items():
        if getattr(settings, name) not in allowed:
            raise ConfigError(f"{_ENV_NAMES[name]} must be one of {', '.join(allowed)}, "
                              f"got {getattr(settings, name)!r}")
    if settings.is_production and not settings.plaintext_outbound_allowed:
        _refuse_plaintext_outbound(settings)
    changes: dict[str, object] = {}
    if settings.is_production:
        _refuse_unsafe_publication(settings)
    elif not settings.public_url:
        changes["public_url"] = LOCAL_PUBLIC_URL
    if settings.pki_public_url:
        # Written into every certificate, which cannot be changed for its two years.
        changes["pki_public_url"] = _pki_origin(settings.pki_public_url)
    if not settings.database_url:
        if settings.is_production:
            raise ConfigError("DATABASE_URL must be set in production")
        changes["database_url"] = f"sqlite:///{settings.instance_path / DATABASE_FILE}"
    for name in SECRET_FIELDS:
        path = _secret_path(settings.instance_path, name)
        if settings.is_production and 0 < len(getattr(settings, name)) < MIN_SECRET_LENGTH:
            raise ConfigError(f"{_ENV_NAMES[name]} must be at least {MIN_SECRET_LENGTH} "
                              "random characters in production (secrets.token_urlsafe(32))")
        if getattr(settings, name) or not secrets_required:
            continue
        if settings.is_production:
            raise ConfigError(f"{_ENV_NAMES[name]} must be set in production")
        if not path.is_file():
            raise ConfigError(f"{_ENV_NAMES[name]} is not set and {path} does not exist: run "
                              "`python -m gerbang_sidecar init` once (make run does)")
        changes[name] = path.read_text().strip()
    if not changes:
        return settings
    return Settings(**{**{f.name: getattr(settings, f.name) for f in fields(Settings)}, **changes})


def _refuse_unsafe_publication(settings: Settings) -> None:
    """Every mailed link is built on SIDECAR_PUBLIC_URL: unset, links went to 127.0.0.1;
    over http, to whoever is on the path. Certificates name PKI_PUBLIC_URL when it is set."""
    url = urlsplit(settings.public_url)
    if not url.hostname or (url.scheme != "https" and not is_loopback_host(url.hostname)):
        raise ConfigError(f"{_ENV_NAMES['public_url']} must be set to the portal's https:// "
                          "address in production")


def _pki_origin(raw: str) -> str:
    """PKI_PUBLIC_URL as the origin certificates name: a scheme and a host (and port), no
    path, login, query or fragment. Plain http is allowed, and meant: relying parties fetch
    CRLs and ask OCSP so, and every answer is signed."""
    refusal = ConfigError(f"{_ENV_NAMES['pki_public_url']} must be an http:// (or https://) "
                          "address with a host and nothing after it (the proxy serves /pki/ "
                          f"there), or unset; got {raw!r}")
    try:
        url = urlsplit(raw)
        port = url.port
    except ValueError as exc:
        raise refusal from exc
    host = url.hostname or ""
    if (raw != raw.strip() or url.scheme not in ("http", "https") or not _HOST.fullmatch(host)
            or url.username is not None or url.path not in ("", "/") or "?" in raw
            or "#" in raw):
        raise refusal
    shown = f"[{host}]" if ":" in host else host
    return f"{url.scheme}://{shown}" + (f":{port}" if port is not None else "")


def _refuse_plaintext_outbound(settings: Settings) -> None:
    """NIKs, NIPs and phone numbers go to the registries, set-password links to the relay:
    in the clear only to this machine (a local TLS-terminating egress proxy, the tests)."""
    if settings.registry_backend == "http":
        for name, variable in _REGISTRY_ENV_NAMES.items():
            url = urlsplit(getattr(settings.registries, name))
            if url.scheme != "https" and not is_loopback_host(url.hostname or ""):
                raise ConfigError(
                    f"{variable} must be an https:// URL in production (or set "
                    f"{_ENV_NAMES['plaintext_outbound_allowed']}=true for staging's fakes)")
    if (settings.mail_backend == "smtp" and not settings.smtp_starttls
            and not is_loopback_host(settings.smtp_host)):
        raise ConfigError(
            f"{_ENV_NAMES['smtp_starttls']} must be true in production for a relay on another "
            f"host (or set {_ENV_NAMES['plaintext_outbound_allowed']}=true for staging's Mailpit)")


def is_loopback_host(host: str) -> bool:
    """True for a host name or address that never leaves this machine (provisioning's
    check of Keycloak's mail settings asks the same)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


DATABASE_FILE = "gerbang.sqlite3"


def _secret_path(instance_path: Path, name: str) -> Path:
    return instance_path / f"{name}.secret"


def write_local_secrets(instance_path: Path) -> list[str]:
    """Generate the secrets a local run lacks into the instance folder (0600), once, so
    restarts still decrypt old rows. Returns the names written; never used in production."""
    instance_path.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SECRET_FIELDS:
        path = _secret_path(instance_path, name)
        if path.exists():
            continue
        # O_EXCL: two processes starting at once must not overwrite each other's key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
        written.append(name)
    return written
