"""Keycloak, as the sidecar sees it: the user-admin port, its HTTP implementation and fake."""

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.keycloak.port import (
    KeycloakError,
    KeycloakUnavailable,
    KeycloakUsers,
    NewUser,
    PasswordRejected,
    UserAlreadyExists,
    UserRecord,
)

__all__ = ["FakeKeycloakUsers", "KeycloakError", "KeycloakUnavailable", "KeycloakUsers",
           "NewUser", "PasswordRejected", "UserAlreadyExists", "UserRecord"]
