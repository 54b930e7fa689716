"""In-memory twin of the Keycloak user-admin port, for service tests."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from gerbang_sidecar.domain.akses.accounts import GROUP_ROLES as AKSES_GROUP_ROLES
from gerbang_sidecar.domain.bsre.accounts import GROUP_ROLES as BSRE_GROUP_ROLES
from gerbang_sidecar.domain.insw.accounts import GROUP_ROLES as INSW_GROUP_ROLES
from gerbang_sidecar.domain.oss.accounts import GROUP_ROLES as OSS_GROUP_ROLES
from gerbang_sidecar.portals import portal_clients
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

# The C1 policy as the realms declare it, so service tests see the same refusals.
_C1 = [(r".{8,}", "invalidPasswordMinLengthMessage"),
       (r"[A-Z]", "invalidPasswordMinUpperCaseCharsMessage"),
       (r"[a-z]", "invalidPasswordMinLowerCaseCharsMessage"),
       (r"\d", "invalidPasswordMinDigitsMessage"),
       (r"[^A-Za-z0-9]", "invalidPasswordMinSpecialCharsMessage")]


def _redirect_allowed(client_id: str | None, redirect_uri: str) -> bool:
    """Keycloak's check against the client's redirect URIs, which realm-config declares as
    exactly the portal table's pages (provisioning validates that)."""
    declared = next((c for c in portal_clients() if c.client_id == client_id), None)
    parts = urlsplit(redirect_uri)
    return declared is not None and not parts.query and any(
        parts.path.endswith(f"/{declared.path}/{page}") for page in declared.redirect_paths)


@dataclass
class SentActions:
    realm: str
    user_id: str
    actions: list[str]
    client_id: str | None
    redirect_uri: str | None
    lifespan_seconds: int | None


def _provisioned_groups() -> dict[str, dict[str, frozenset[str]]]:
    # The groups realm-config declares, with their realm roles.
    return {realm: {name: frozenset(roles) for name, roles in declared.items()}
            for realm, declared in (("akses", AKSES_GROUP_ROLES), ("oss", OSS_GROUP_ROLES),
                                    ("insw", INSW_GROUP_ROLES), ("bsre", BSRE_GROUP_ROLES))}


@dataclass
class FakeKeycloakUsers:
    users: dict[tuple[str, str], UserRecord] = field(default_factory=dict)
    # realm -> group -> realm roles, as provisioning makes them.
    groups: dict[str, dict[str, frozenset[str]]] = field(default_factory=_provisioned_groups)
    passwords: dict[tuple[str, str], str] = field(default_factory=dict)
    # (realm, user id) -> realm roles mapped directly; group roles come from ``groups``.
    direct_roles: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    memberships: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    sent: list[SentActions] = field(default_factory=list)
    sessions_ended: list[tuple[str, str]] = field(default_factory=list)
    # (realm, user id) -> Keycloak session ids alive; tests open them with start_session.
    live_sessions: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    # LOGIN_ERROR events and locked accounts, as tests make them.
    failures: list[LoginFailure] = field(default_factory=list)
    locked: set[tuple[str, str]] = field(default_factory=set)
    # (realm, user id) -> OTP devices; credential changes as Keycloak's events record them.
    devices: dict[tuple[str, str], list[OtpDevice]] = field(default_factory=dict)
    changes: list[CredentialChange] = field(default_factory=list)
    events: dict[tuple[str, str], list[UserEvent]] = field(default_factory=dict)
    # Admin events on accounts, (realm, user id), the position + 1 standing for the time.
    account_log: list[tuple[str, str]] = field(default_factory=list)
    # Set to make every call fail as if Keycloak were down.
    down: bool = False

    def _check(self) -> None:
        if self.down:
            raise KeycloakUnavailable("fake Keycloak is down")

    def create_user(self, realm: str, user: NewUser) -> str:
        self._check()
        taken = self.find_by_username(realm, user.username) or (
            user.email and self.find_by_email(realm, user.email))
        if taken:
            raise UserAlreadyExists(user.username)
        known = self.groups.get(realm, {})
        if unknown := [g for g in user.groups if g not in known]:
            raise KeycloakError(f"create user: unknown groups {unknown}")
        user_id = str(uuid.uuid4())
        self.users[(realm, user_id)] = UserRecord(
            id=user_id, username=user.username.lower(), email=user.email,
            first_name=user.first_name, email_verified=user.email_verified,
            enabled=user.enabled, attributes=dict(user.attributes))
        self.memberships[(realm, user_id)] = tuple(user.groups)
        self.account_log.append((realm, user_id))
        return user_id

    def get_user(self, realm: str, user_id: str) -> UserRecord | None:
        self._check()
        return self.users.get((realm, user_id))

    def _in(self, realm: str) -> list[UserRecord]:
        return [u for (r, _), u in self.users.items() if r == realm]

    def find_by_username(self, realm: str, username: str, *,
                         email_too: bool = True) -> UserRecord | None:
        self._check()
        wanted = username.lower()
        return next((u for u in self._in(realm) if u.username == wanted or (
            email_too and (u.email or "").lower() == wanted)), None)

    def find_by_email(self, realm: str, email: str) -> UserRecord | None:
        self._check()
        return next((u for u in self._in(realm) if (u.email or "").lower() == email.lower()),
                    None)

    def search_users(self, realm: str, text: str, *, limit: int) -> list[UserRecord]:
        self._check()
        wanted = text.strip().casefold()
        return [u for u in self._in(realm)
                if any(wanted in (v or "").casefold()
                       for v in (u.username, u.email, u.first_name))][:limit]

    def grant(self, realm: str, user_id: str, roles: list[str]) -> None:
        """What an admin or the legacy import does (not part of the port)."""
        key = (realm, user_id)
        self.direct_roles[key] = self.direct_roles.get(key, frozenset()) | set(roles)

    def held_realm_roles(self, realm: str, user_id: str,
                         among: Collection[str]) -> frozenset[str]:
        return self.realm_roles_of(realm, user_id) & frozenset(among)

    def realm_roles_of(self, realm: str, user_id: str) -> frozenset[str]:
        """Held directly or through the user's groups (not part of the port)."""
        known = self.groups.get(realm, {})
        through_groups = [known[g] for g in self.memberships.get((realm, user_id), ())]
        return self.direct_roles.get((realm, user_id), frozenset()).union(*through_groups)

    def remove_realm_roles(self, realm: str, user_id: str, roles: list[str]) -> None:
        self._check()
        if (realm, user_id) not in self.users:
            raise KeycloakError("user not found")
        key = (realm, user_id)
        self.direct_roles[key] = self.direct_roles.get(key, frozenset()) - set(roles)

    def update_user(self, realm: str, user_id: str, *, email: str | None = None,
                    email_verified: bool | None = None,
                    attributes: dict[str, str] | None = None,
                    enabled: bool | None = None) -> None:
        self._check()
        user = self.users[(realm, user_id)]
        if email is not None and (other := self.find_by_email(realm, email)) \
                and other.id != user_id:
            raise UserAlreadyExists(email)
        self.users[(realm, user_id)] = replace(
            user,
            email=user.email if email is None else email,
            email_verified=user.email_verified if email_verified is None else email_verified,
            enabled=user.enabled if enabled is None else enabled,
            attributes={**user.attributes, **(attributes or {})})
        self.account_log.append((realm, user_id))

    def send_actions_email(self, realm: str, user_id: str, actions: list[str], *,
                           client_id: str | None = None, redirect_uri: str | None = None,
                           lifespan_seconds: int | None = None) -> None:
        self._check()
        if (realm, user_id) not in self.users:
            raise KeycloakError("execute actions email: Keycloak answered 404")
        if redirect_uri is not None and not _redirect_allowed(client_id, redirect_uri):
            raise KeycloakError("execute actions email: Keycloak answered 400 "
                                "(Invalid redirect uri)")
        self.sent.append(SentActions(realm, user_id, list(actions), client_id, redirect_uri,
                                     lifespan_seconds))

    def set_password(self, realm: str, user_id: str, password: str) -> None:
        self._check()
        for pattern, reason in _C1:
            if not re.search(pattern, password):
                raise PasswordRejected(reason)
        self.passwords[(realm, user_id)] = password

    def start_session(self, realm: str, user_id: str) -> str:
        """A login at Keycloak (what its login pages do): the new session's id."""
        session_id = str(uuid.uuid4())
        self.live_sessions.setdefault((realm, user_id), set()).add(session_id)
        return session_id

    def session_alive(self, realm: str, user_id: str, session_id: str) -> bool:
        self._check()
        user = self.users.get((realm, user_id))
        return bool(user and user.enabled
                    and session_id in self.live_sessions.get((realm, user_id), set()))

    def login_failures(self, realm: str, *, since_ms: int) -> list[LoginFailure]:
        self._check()
        return [f for f in self.failures if f.time_ms > since_ms
                and (realm, f.user_id) in self.users]

    def is_locked(self, realm: str, user_id: str) -> bool:
        self._check()
        return (realm, user_id) in self.locked

    def end_sessions(self, realm: str, user_id: str) -> None:
        self._check()
        self.sessions_ended.append((realm, user_id))
        self.live_sessions.pop((realm, user_id), None)

    def delete_user(self, realm: str, user_id: str) -> None:
        self._check()
        self.users.pop((realm, user_id), None)
        self.direct_roles.pop((realm, user_id), None)
        self.memberships.pop((realm, user_id), None)
        self.account_log.append((realm, user_id))

    # --- OTP devices (B9) --------------------------------------------------------------

    def add_otp_device(self, realm: str, user_id: str, label: str, created_ms: int, *,
                       by_admin: bool = False) -> OtpDevice:
        """What a user (or an admin) adding a device does, with its event."""
        device = OtpDevice(f"otp-{len(self.changes)}-{created_ms}", label, created_ms)
        self.devices.setdefault((realm, user_id), []).append(device)
        self.changes.append(CredentialChange(user_id, created_ms, by_admin))
        return device

    def admin_change(self, user_id: str, time_ms: int, kind: str) -> None:
        """An admin event on the user (reset-password, a credential removed, a profile edit)."""
        self.changes.append(CredentialChange(user_id, time_ms, True, kind))

    def has_password(self, realm: str, user_id: str) -> bool:
        self._check()
        return (realm, user_id) in self.users and (realm, user_id) in self.passwords

    def remove_password(self, realm: str, user_id: str) -> None:
        self._check()
        self.passwords.pop((realm, user_id), None)

    def otp_devices(self, realm: str, user_id: str) -> list[OtpDevice]:
        self._check()
        return sorted(self.devices.get((realm, user_id), []),
                      key=lambda d: (d.created_ms, d.id))

    def remove_credential(self, realm: str, user_id: str, credential_id: str) -> None:
        self._check()
        kept = [d for d in self.devices.get((realm, user_id), []) if d.id != credential_id]
        self.devices[(realm, user_id)] = kept

    def credential_changes(self, realm: str, *, since_ms: int) -> list[CredentialChange]:
        self._check()
        return [c for c in self.changes if c.time_ms > since_ms]

    def user_events(self, realm: str, user_id: str, *, limit: int) -> list[UserEvent]:
        self._check()
        found = sorted(self.events.get((realm, user_id), []), key=lambda e: -e.time_ms)
        return found[:limit]

    def account_changes(self, realm: str, *, since_ms: int, limit: int) -> AccountChanges:
        self._check()
        changed: dict[str, int] = {}
        for time, (r, user_id) in enumerate(self.account_log, start=1):
            if r == realm and time >= since_ms:
                changed.pop(user_id, None)
                changed[user_id] = time
        # Like Keycloak's: up to the newest change of this realm that was read.
        return AccountChanges(tuple(changed.items())[:limit],
                              max(since_ms, *changed.values(), 0),
                              complete=len(changed) <= limit)

    def latest_account_change(self, realm: str) -> int:
        self._check()
        return max((time for time, (r, _) in enumerate(self.account_log, start=1)
                    if r == realm), default=0)

    def list_users(self, realm: str, *, first: int, count: int) -> list[UserRecord]:
        self._check()
        return sorted(self._in(realm), key=lambda u: u.username)[first:first + count]
