"""What the sidecar asks of Keycloak about users, as one small interface.

The HTTP implementation talks to the Admin REST API as the realm's ``gerbang-sidecar``
service account (least privilege: manage/view/query users); the fake keeps users in memory
for service tests. Both raise only the errors below, so services never see HTTP.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol


class KeycloakError(Exception):
    """Base for what the user-admin port raises."""


class KeycloakUnavailable(KeycloakError):
    """Keycloak did not answer or answered 5xx: tell the user to try again later."""


class UserAlreadyExists(KeycloakError):
    """Username or email already taken (Keycloak answered 409)."""


class PasswordRejected(KeycloakError):
    """The password policy refused a password; ``reason`` is Keycloak's message key or text."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NewUser:
    username: str
    email: str | None
    first_name: str
    attributes: dict[str, str] = field(default_factory=dict)
    email_verified: bool = False
    enabled: bool = True
    required_actions: tuple[str, ...] = ()
    # Top-level groups to join at creation (their realm roles come with them).
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserRecord:
    id: str
    username: str
    email: str | None
    first_name: str
    email_verified: bool
    enabled: bool
    attributes: dict[str, str]


@dataclass(frozen=True)
class LoginFailure:
    """A failed login Keycloak recorded (a LOGIN_ERROR event) for a known user."""

    user_id: str
    time_ms: int  # Keycloak's event time, milliseconds since the epoch
    error: str  # invalid_user_credentials, user_temporarily_disabled, ...


@dataclass(frozen=True)
class OtpDevice:
    """One OTP credential of a user (B9, B23): its Keycloak id, the name its owner gave it,
    when it was added (milliseconds since the epoch, Keycloak's ``createdDate``)."""

    id: str
    label: str
    created_ms: int

    @property
    def added_at(self) -> datetime:
        return datetime.fromtimestamp(self.created_ms / 1000, UTC)


@dataclass(frozen=True)
class CredentialChange:
    """Keycloak recorded that a user's credentials may have changed: a user event
    (UPDATE_CREDENTIAL, UPDATE_TOTP, REMOVE_*) or an admin event on the user."""

    user_id: str
    time_ms: int
    by_admin: bool
    # An admin event's target: "credential" (users/<id>/credentials...), "password"
    # (users/<id>/reset-password) or "user" (anything else); user events say "credential".
    kind: str = "credential"


@dataclass(frozen=True)
class AccountChanges:
    """The accounts admin requests created, changed or deleted since a moment (Keycloak's
    admin events on users: the admin console, the Admin API, partial imports, the sidecar)."""

    # (user id, time of its latest change read in ms), oldest first, each user once.
    changed: tuple[tuple[str, int], ...]
    until_ms: int  # the newest change read; where the next read starts
    complete: bool  # False: more changed than asked for, the caller reads every account


@dataclass(frozen=True)
class UserEvent:
    """One of the user's own events as Keycloak stored it (B23 "Aktivitas", X10)."""

    type: str  # LOGIN, LOGOUT, UPDATE_PASSWORD, UPDATE_CREDENTIAL, ...
    time_ms: int
    client_id: str
    ip_address: str
    error: str = ""


class KeycloakUsers(Protocol):
    def create_user(self, realm: str, user: NewUser) -> str:
        """Create the user in its groups and return its id; UserAlreadyExists on a taken
        username/email."""

    def get_user(self, realm: str, user_id: str) -> UserRecord | None: ...

    def find_by_username(self, realm: str, username: str, *,
                         email_too: bool = True) -> UserRecord | None:
        """Exact match on username, or (``email_too``) on email, as the realms allow email
        login."""

    def find_by_email(self, realm: str, email: str) -> UserRecord | None: ...

    def search_users(self, realm: str, text: str, *, limit: int) -> list[UserRecord]:
        """Keycloak's own search: ``text`` within username, email, first or last name."""

    def remove_realm_roles(self, realm: str, user_id: str, roles: list[str]) -> None:
        """Take roles mapped to the user directly (the legacy import's ``legacy-member``);
        roles held through a group stay."""

    def held_realm_roles(self, realm: str, user_id: str,
                         among: Collection[str]) -> frozenset[str]:
        """Which of ``among`` the user holds now -- directly, through a group or a composite
        role; none for a user who is gone. Privileged pages ask this on every request: the
        roles in a login's token are those of the moment it was made."""

    def update_user(self, realm: str, user_id: str, *, email: str | None = None,
                    email_verified: bool | None = None,
                    attributes: dict[str, str] | None = None,
                    enabled: bool | None = None) -> None:
        """Change only what is given; attributes are merged into the existing ones."""

    def send_actions_email(self, realm: str, user_id: str, actions: list[str], *,
                           client_id: str | None = None, redirect_uri: str | None = None,
                           lifespan_seconds: int | None = None) -> None:
        """Keycloak's execute-actions-email (VERIFY_EMAIL, UPDATE_PASSWORD, CONFIGURE_TOTP)."""

    def set_password(self, realm: str, user_id: str, password: str) -> None:
        """Set a permanent password; PasswordRejected when the realm's policy refuses it."""

    def session_alive(self, realm: str, user_id: str, session_id: str) -> bool:
        """Whether the user exists, is enabled and still has Keycloak session ``session_id``
        (gone after a logout anywhere, a password reset that signs out, an admin's sign-out,
        expiry)."""

    def login_failures(self, realm: str, *, since_ms: int) -> list[LoginFailure]:
        """Failed logins of known users recorded after ``since_ms`` (needs view-events)."""

    def is_locked(self, realm: str, user_id: str) -> bool:
        """Whether brute-force protection holds the account locked now."""

    def end_sessions(self, realm: str, user_id: str) -> None:
        """Log the user out everywhere (after a password reset the old sessions must end)."""

    def delete_user(self, realm: str, user_id: str) -> None:
        """Used only for accounts a registration made that nobody ever used: a half-made one,
        or one nobody activated (services/registrations/unactivated_accounts.py)."""

    def has_password(self, realm: str, user_id: str) -> bool:
        """Does the account have a password (set through any page)? False when it is gone."""

    def remove_password(self, realm: str, user_id: str) -> None:
        """Delete the account's password, if it has one (B11: a compromised account's old
        password must not outlive its reset)."""

    def otp_devices(self, realm: str, user_id: str) -> list[OtpDevice]:
        """The user's OTP credentials, oldest first."""

    def remove_credential(self, realm: str, user_id: str, credential_id: str) -> None:
        """Delete one credential; one already gone is no error."""

    def credential_changes(self, realm: str, *, since_ms: int) -> list[CredentialChange]:
        """Users whose credentials changed after ``since_ms`` (needs view-events)."""

    def user_events(self, realm: str, user_id: str, *, limit: int) -> list[UserEvent]:
        """The user's newest events, newest first (needs view-events)."""

    def account_changes(self, realm: str, *, since_ms: int, limit: int) -> AccountChanges:
        """Accounts changed at or after ``since_ms``, at most ``limit`` of them (needs
        view-events)."""

    def latest_account_change(self, realm: str) -> int:
        """When the newest recorded account change happened (ms), 0 when none is."""

    def list_users(self, realm: str, *, first: int, count: int) -> list[UserRecord]:
        """One page of the realm's users in a stable order (needs view-users)."""
