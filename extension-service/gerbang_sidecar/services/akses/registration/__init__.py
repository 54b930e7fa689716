"""AKSes registration (A1–A5, C2, X1), one module per step:

* ``check``            "Selanjutnya": form rules, registries, the pending row
* ``activation``       "Aktivasi": accepted, handed to the outbox worker
* ``account``          the worker: the Keycloak account, or -- when an identifier already has
                       one -- nothing, and a mail to that account's owner
* ``activation_email`` the verification email (queued, sent by the outbox) and "Kirim Ulang"
* this module          "Kembali" (the form as typed), the thank-you page, housekeeping

:class:`AksesRegistration` is what the pages and the worker call; ``wiring.py`` builds it.
"""

from __future__ import annotations

from collections.abc import Mapping

from gerbang_sidecar.domain.akses.registration_form import RegistrationType
from gerbang_sidecar.domain.registration_lifecycle import ACCEPTED, PENDING
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.storage import Store
from gerbang_sidecar.services.akses.registration import (
    account,
    activation,
    activation_email,
    check,
)
from gerbang_sidecar.services.akses.registration.context import (
    Context,
    InvestorRegistries,
    RegistrationSettings,
    name_of,
)
from gerbang_sidecar.services.akses.registration.results import (
    ActivateResult,
    AlreadyActivated,
    CheckResult,
    EditResult,
    FormData,
    RegistrationNotFound,
    ResendResult,
    ThankYou,
    ThankYouResult,
)
from gerbang_sidecar.services.identity_index import IdentityIndex
from gerbang_sidecar.services.outbox_worker import Delivery


class AksesRegistration:
    def __init__(self, store: Store, keycloak: KeycloakUsers, registries: InvestorRegistries,
                 clock: Clock, settings: RegistrationSettings,
                 index: IdentityIndex) -> None:
        self._ctx = Context(store, keycloak, registries, clock, settings,
                            index)

    @property
    def settings(self) -> RegistrationSettings:
        return self._ctx.settings

    def check(self, form: Mapping[str, str | None], lang: str = "id") -> CheckResult:
        """"Selanjutnya": validate, ask the registries, keep it pending."""
        return check.check(self._ctx, form, lang)

    def edit(self, token: str) -> EditResult:
        """"Kembali": the pending registration's form as typed."""
        row = self._ctx.find(token)
        if row is None:
            return RegistrationNotFound()
        if row.status in ACCEPTED:
            return AlreadyActivated(name=name_of(row))
        return FormData(type=RegistrationType(row.registration_type),
                        fields=dict(row.data["form"]))

    def activate(self, token: str) -> ActivateResult:
        return activation.activate(self._ctx, token)

    def resend(self, token: str) -> ResendResult:
        """"Kirim Ulang", not before 15 minutes after the last email (C2)."""
        return activation_email.resend(self._ctx, token)

    def make_account(self, delivery: Delivery) -> None:
        """The outbox worker's handler of ``OUTBOX_MAKE_ACCOUNT``."""
        account.make_account(self._ctx, delivery)

    def send_activation_email(self, delivery: Delivery) -> None:
        """The outbox worker's handler of ``OUTBOX_ACTIVATION_EMAIL``."""
        activation_email.deliver(self._ctx, delivery)

    def thank_you(self, token: str) -> ThankYouResult:
        row = self._ctx.find(token)
        if row is None or row.status == PENDING:
            return RegistrationNotFound()
        return ThankYou(name=name_of(row), resend_available_at=self._ctx.resend_available_at(row))

    def purge_expired(self) -> int:
        """Delete unconfirmed registrations past their lifetime (their data is personal)."""
        now = self._ctx.clock()
        with self._ctx.store.transaction() as tx:
            return tx.registrations.purge_pending(
                created_before=now - self._ctx.settings.pending_lifetime)
