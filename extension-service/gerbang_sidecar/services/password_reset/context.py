"""What the forgot-password use cases share: each portal's settings, ports, and the SMS link's
signer. The times are the rules' (A7, C2), the same for every portal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer

from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.storage import Store
from gerbang_sidecar.services.identity_index import IdentityIndex

Channel = Literal["email", "sms"]
CHANNELS: tuple[Channel, ...] = ("email", "sms")

# Outbox message kinds of forgot password.
OUTBOX_REQUESTED = "password_reset.requested"
OUTBOX_SMS_LINK = "password_reset.sms_link"
OUTBOX_PASSWORD_CHANGED = "password_changed.notice"  # noqa: S105 (an outbox kind)
# Audit event of every reset link sent; also what the per-account resend throttle reads.
AUDIT_LINK_SENT = "a7_reset_link_sent"
# A send reserved by AUDIT_LINK_SENT that failed: the next try is not throttled by it.
AUDIT_LINK_FAILED = "a7_reset_link_failed"
_LINK_SALT = "gerbang.password-reset-link"
# A7 links live 15 minutes, the time after which "Kirim Ulang" becomes available (C2).
LINK_LIFETIME = timedelta(minutes=15)
RESEND_AFTER = timedelta(minutes=15)
# The typed identifier is personal data: the request row is deleted after a day.
REQUEST_LIFETIME = timedelta(hours=24)
LookupKind = Literal["username", "nik", "passport", "sid"]


@dataclass(frozen=True)
class PasswordResetSettings:
    """One portal's forgot password."""

    public_url: str  # SIDECAR_PUBLIC_URL: the SMS link and Keycloak's "back" link point here
    realm: str = "akses"
    client_id: str = "akses-portal"
    portal_path: str = "akses"
    landing: str = "beranda"  # the page after the new password, under the portal's path
    # What the typed identifier may be (A7: all four; OSS: username or email).
    lookups: tuple[LookupKind, ...] = ("username", "nik", "passport", "sid")

    @property
    def after_change_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/{self.portal_path}/{self.landing}"

    def link_url(self, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/{self.portal_path}/lupa-kata-sandi/atur/{token}"


@dataclass(frozen=True)
class Context:
    store: Store
    keycloak: KeycloakUsers
    clock: Clock
    portals: Mapping[str, PasswordResetSettings]  # by realm
    link_secret: str = field(repr=False)
    # Where NIK, passport and SID are looked up (Keycloak's attribute search reads every user
    # of the realm).
    index: IdentityIndex

    def settings_of(self, realm: str) -> PasswordResetSettings:
        return self.portals[realm]

    @property
    def signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.link_secret, salt=_LINK_SALT)

    def unsign(self, token: str) -> str | None:
        """The link's random part, if the signature holds and the link is young enough."""
        try:
            return str(self.signer.loads(
                token, max_age=int(LINK_LIFETIME.total_seconds())))
        except BadSignature:  # also SignatureExpired
            return None
