"""Settings from environment variables, each with a default that suits a local run.

Production (``GERBANG_ENV=production``) refuses to start without its secrets instead of
inventing them; a local run generates them once into the instance folder, which git ignores.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_INSTANCE = Path(__file__).resolve().parent.parent / "instance"


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
    secret_key: str = ""
    # AES-256-GCM key for personal identifiers at rest and HMAC key for their blind index (X3).
    pii_key: str = ""
    blind_index_key: str = ""
    keycloak_url: str = "http://127.0.0.1:8080"
    keycloak_client_id: str = "gerbang-sidecar"
    keycloak_client_secret: str = ""
    public_url: str = "http://127.0.0.1:5000"
    registries: RegistryUrls = field(default_factory=RegistryUrls)
    registry_timeout_seconds: float = 5.0
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    mail_from: str = "no-reply@gerbang.local"
    log_level: str = "INFO"

    @property
    def is_production(self) -> bool:
        return self.env == "production"


_ENV_NAMES = {
    "env": "GERBANG_ENV",
    "instance_path": "GERBANG_INSTANCE_PATH",
    "database_url": "DATABASE_URL",
    "secret_key": "GERBANG_SECRET_KEY",
    "pii_key": "GERBANG_PII_KEY",
    "blind_index_key": "GERBANG_BLIND_INDEX_KEY",
    "keycloak_url": "KEYCLOAK_URL",
    "keycloak_client_id": "SIDECAR_CLIENT_ID",
    "keycloak_client_secret": "SIDECAR_CLIENT_SECRET",
    "public_url": "SIDECAR_PUBLIC_URL",
    "registry_timeout_seconds": "REGISTRY_TIMEOUT_SECONDS",
    "smtp_host": "SMTP_HOST",
    "smtp_port": "SMTP_PORT",
    "mail_from": "MAIL_FROM",
    "log_level": "LOG_LEVEL",
}
_REGISTRY_ENV_NAMES = {
    "dukcapil": "DUKCAPIL_URL",
    "oss": "OSS_URL",
    "ksei": "KSEI_URL",
    "bkn": "BKN_URL",
    "sipp": "SIPP_URL",
    "message_gateway": "MESSAGE_GATEWAY_URL",
}
_SECRET_FIELDS = ("secret_key", "pii_key", "blind_index_key")


def documented_variables() -> dict[str, str]:
    """Every environment variable the sidecar reads, by setting name (for docs and tests)."""
    return {**_ENV_NAMES, **{f"registries.{k}": v for k, v in _REGISTRY_ENV_NAMES.items()}}


def load_settings(environ: os._Environ[str] | dict[str, str] | None = None,
                  **overrides: object) -> Settings:
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
            else:
                values[name] = raw
    registries = {k: env[v] for k, v in _REGISTRY_ENV_NAMES.items() if env.get(v)}
    if registries:
        values["registries"] = RegistryUrls(**registries)
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    return _complete(settings)


def _as_number(var: str, raw: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(raw)
    except ValueError as exc:
        raise ConfigError(f"{var} must be a number, got {raw!r}") from exc


def _complete(settings: Settings) -> Settings:
    """Fill the database URL and, outside production, the generated local secrets."""
    changes: dict[str, object] = {}
    if not settings.database_url:
        if settings.is_production:
            raise ConfigError("DATABASE_URL must be set in production")
        settings.instance_path.mkdir(parents=True, exist_ok=True)
        changes["database_url"] = f"sqlite:///{settings.instance_path / 'gerbang.sqlite3'}"
    for name in _SECRET_FIELDS:
        if getattr(settings, name):
            continue
        if settings.is_production:
            raise ConfigError(f"{_ENV_NAMES[name]} must be set in production")
        changes[name] = _local_secret(settings.instance_path, name)
    if not changes:
        return settings
    return Settings(**{**{f.name: getattr(settings, f.name) for f in fields(Settings)}, **changes})


def _local_secret(instance_path: Path, name: str) -> str:
    """A random secret kept in the instance folder so restarts can still decrypt old rows."""
    instance_path.mkdir(parents=True, exist_ok=True)
    path = instance_path / f"{name}.secret"
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(32)
    path.write_text(value)
    path.chmod(0o600)
    return value
