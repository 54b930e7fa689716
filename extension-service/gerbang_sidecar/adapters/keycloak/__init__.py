"""Keycloak, as the sidecar sees it: the user-admin port, its HTTP implementation and fake."""

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.keycloak.flask_ext import get_keycloak_users, init_app
from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.adapters.keycloak.port import (
    KeycloakError,
    KeycloakUnavailable,
    KeycloakUsers,
    NewUser,
    PasswordRejected,
    UserAlreadyExists,
    UserRecord,
)

__all__ = ["FakeKeycloakUsers", "HttpKeycloakUsers", "KeycloakError", "KeycloakUnavailable",
           "KeycloakUsers", "NewUser", "PasswordRejected", "UserAlreadyExists", "UserRecord",
           "get_keycloak_users", "init_app"]
