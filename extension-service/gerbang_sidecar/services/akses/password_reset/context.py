"""What the forgot-password use cases share: settings, ports, and the SMS link's signer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer

from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.storage import Store

Channel = Literal["email", "sms"]
CHANNELS: tuple[Channel, ...] = ("email", "sms")

# Outbox message kinds of forgot password.
OUTBOX_REQUESTED = "password_reset.requested"
OUTBOX_SMS_LINK = "password_reset.sms_link"
OUTBOX_PASSWORD_CHANGED = "password_changed.notice"  # noqa: S105 (an outbox kind)
# Audit event of every reset link sent; also what the per-account resend throttle reads.
AUDIT_LINK_SENT = "a7_reset_link_sent"
_LINK_SALT = "gerbang.password-reset-link"


@dataclass(frozen=True)
class PasswordResetSettings:
    public_url: str  # SIDECAR_PUBLIC_URL: the SMS link and Keycloak's "back" link point here
    realm: str = "akses"
    client_id: str = "akses-portal"
    portal_path: str = "akses"
    # A7 links live 15 minutes, the time after which "Kirim Ulang" becomes available (C2).
    link_lifetime: timedelta = timedelta(minutes=15)
    resend_after: timedelta = timedelta(minutes=15)
    # The typed identifier is personal data: the request row is deleted after a day.
    request_lifetime: timedelta = timedelta(hours=24)

    @property
    def after_change_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/{self.portal_path}/beranda"

    def link_url(self, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/{self.portal_path}/lupa-kata-sandi/atur/{token}"


@dataclass(frozen=True)
class Context:
    store: Store
    keycloak: KeycloakUsers
    clock: Clock
    settings: PasswordResetSettings
    link_secret: str = field(repr=False)

    @property
    def signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.link_secret, salt=_LINK_SALT)

    def unsign(self, token: str) -> str | None:
        """The link's random part, if the signature holds and the link is young enough."""
        try:
            return str(self.signer.loads(
                token, max_age=int(self.settings.link_lifetime.total_seconds())))
        except BadSignature:  # also SignatureExpired
            return None
