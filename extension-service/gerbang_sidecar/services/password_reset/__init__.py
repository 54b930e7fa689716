"""Forgot password of every portal that has one (AKSes A7, OSS; C1, C2, C4, X1), one module
per part:

* ``request``   the web request: store, enqueue, "Kirim Ulang" (no lookup: X1)
* ``delivery``  the outbox worker: look the identifier up, send by email or SMS
* ``sms_link``  the set-password page behind an SMS link

:class:`PasswordReset` is what the pages and the worker call; ``wiring.py`` builds it.
"""

from __future__ import annotations

from collections.abc import Sequence

from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.storage import Store
from gerbang_sidecar.services.identity_index import IdentityIndex
from gerbang_sidecar.services.password_reset import delivery, request, sms_link
from gerbang_sidecar.services.password_reset.context import (
    Channel,
    Context,
    PasswordResetSettings,
)
from gerbang_sidecar.services.password_reset.results import (
    LinkInvalid,
    LinkValid,
    RequestStatus,
    ResendResult,
    SetPasswordResult,
)


class PasswordReset:
    def __init__(self, store: Store, keycloak: KeycloakUsers, clock: Clock,
                 portals: Sequence[PasswordResetSettings], link_secret: str,
                 index: IdentityIndex) -> None:
        self._ctx = Context(store, keycloak, clock, {p.realm: p for p in portals}, link_secret,
                            index)

    def settings_of(self, realm: str) -> PasswordResetSettings:
        return self._ctx.settings_of(realm)

    def request(self, realm: str, identifier: str, channel: Channel, locale: str) -> str:
        return request.request(self._ctx, realm, identifier, channel, locale)

    def status(self, token: str) -> RequestStatus | None:
        return request.status(self._ctx, token)

    def resend(self, token: str) -> ResendResult:
        return request.resend(self._ctx, token)

    def process(self, request_id: int) -> str:
        return delivery.process(self._ctx, request_id)

    def open_link(self, realm: str, token: str) -> LinkValid | LinkInvalid:
        return sms_link.open_link(self._ctx, realm, token)

    def set_password(self, realm: str, token: str, password: str) -> SetPasswordResult:
        return sms_link.set_password(self._ctx, realm, token, password)
