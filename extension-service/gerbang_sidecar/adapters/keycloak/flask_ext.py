"""Flask wiring of the user-admin port: one HttpKeycloakUsers per application."""

from __future__ import annotations

from flask import Flask, current_app

from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.adapters.keycloak.port import KeycloakUsers
from gerbang_sidecar.config import Settings
from gerbang_sidecar.web.health import register_probe

EXTENSION = "gerbang_keycloak_users"


def init_app(app: Flask, users: KeycloakUsers | None = None,
             probe_realms: tuple[str, ...] = ("akses", "oss", "bsre", "insw")) -> KeycloakUsers:
    """Build the HTTP adapter from the settings (or take ``users``, e.g. a fake in tests)."""
    settings: Settings = app.config["GERBANG"]
    if users is None:
        users = HttpKeycloakUsers(settings.keycloak_url, settings.keycloak_client_id,
                                  settings.keycloak_client_secret,
                                  timeout=settings.keycloak_timeout_seconds)
    app.extensions[EXTENSION] = users
    if isinstance(users, HttpKeycloakUsers):
        http_users = users
        register_probe(app, "keycloak",
                       lambda: all(http_users.realm_answers(r) for r in probe_realms))
    return users


def get_keycloak_users(app: Flask | None = None) -> KeycloakUsers:
    return (app or current_app).extensions[EXTENSION]
