"""The account behind an accepted "Aktivasi" (A5, X1): the outbox handler of
``OUTBOX_MAKE_ACCOUNT``, on the account making every portal shares
(services/registrations/accounts.py) with the AKSes plan (domain/akses/accounts.py)."""

from __future__ import annotations

from gerbang_sidecar.domain.account_plan import AccountPlan
from gerbang_sidecar.domain.akses.accounts import account_plan
from gerbang_sidecar.domain.akses.registration_form import RegistrationData
from gerbang_sidecar.ports.storage import RegistrationRecord
from gerbang_sidecar.services.akses.registration import activation_email
from gerbang_sidecar.services.akses.registration.context import Context
from gerbang_sidecar.services.outbox_worker import Delivery
from gerbang_sidecar.services.registrations.accounts import AccountMaker


def _plan(row: RegistrationRecord) -> AccountPlan:
    return account_plan(RegistrationData.from_dict(row.data["data"]))


def make_account(ctx: Context, delivery: Delivery) -> None:
    maker = AccountMaker(
        ctx.store, ctx.keycloak, ctx.clock, ctx.settings.realm, ctx.settings.portal_url,
        plan_of=_plan,
        after_activation=lambda tx, registration_id, now: activation_email.emails(ctx).queue(
            tx, registration_id, now=now),
        index=ctx.index)
    maker.make(int(delivery.payload["registration_id"]))
