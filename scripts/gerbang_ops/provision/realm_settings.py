"""Realm settings: only the keys realm.json declares are owned."""

from __future__ import annotations

import hashlib
from typing import Any

from gerbang_ops.provision.changes import Change, seg
from gerbang_ops.provision.compare import differences
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi


def read(api: KeycloakApi, realm: str) -> dict[str, Any] | None:
    return api.get_or_none(f"/{seg(realm)}")


def plan_create(api: KeycloakApi, spec: RealmSpec) -> Change:
    return Change(spec.name, "realm", spec.name, "create", spec.source("realm"),
                  run=lambda: api.post("", {"realm": spec.name, "enabled": True}))


def plan_settings(api: KeycloakApi, spec: RealmSpec, live: dict[str, Any] | None) -> list[Change]:
    desired = with_smtp_password_fingerprint(spec.name, spec.settings)
    diffs = differences(desired, live or {})
    if not diffs:
        return []
    return [Change(spec.name, "realm settings", spec.name, "update", spec.source("realm"),
                   run=lambda: api.put(f"/{seg(spec.name)}", desired),
                   details=diffs if live else [])]


def with_smtp_password_fingerprint(realm: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The settings with a fingerprint of the declared SMTP password as a realm attribute.

    Keycloak never shows a stored password (it answers a mask), so a rotated SMTP_PASSWORD
    would otherwise count as no change and never reach Keycloak; its fingerprint changes
    with it. PBKDF2 (per realm salt, many rounds) because realm administrators can read
    realm attributes and must not be handed a quick guess at the password."""
    smtp = settings.get("smtpServer") or {}
    password = smtp.get("password") or ""
    if str(smtp.get("auth", "")).lower() != "true":
        # No login to the relay: Keycloak keeps no password, so one declared anyway (the
        # sidecar's SMTP_PASSWORD) would read as a change on every run.
        return {**settings, "smtpServer": {**smtp, "password": ""}} if password else settings
    if not password:
        return settings
    fingerprint = hashlib.pbkdf2_hmac("sha256", password.encode(),
                                      f"gerbang-smtp:{realm}".encode(), FINGERPRINT_ROUNDS).hex()
    attributes = {**(settings.get("attributes") or {}), FINGERPRINT_ATTRIBUTE: fingerprint}
    return {**settings, "attributes": attributes}


FINGERPRINT_ATTRIBUTE = "gerbangSmtpPasswordFingerprint"
FINGERPRINT_ROUNDS = 600_000
