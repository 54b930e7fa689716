"""OSS registration (O1–O5, X1, X5): "Submit" on the form, then the account and its email.

The form's rules (domain/oss/registration_form.py), then Dukcapil for a KTP (O2: the NIK's
record must carry the name and birth date typed); passports have no registry to ask. A form
that passes is accepted at once -- OSS has no confirmation step -- in one transaction: the
registration row (encrypted, X3), its acceptance, an outbox message for the account and an
audit event. Nothing here looks at existing accounts (X1): the outbox worker decides, out of
the page's sight, whether to make the account or to tell the owner of the existing one, so
the page answers the same, in the same time, for a taken identifier and a free one.

The worker makes the account on the account making every portal shares
(services/registrations/accounts.py) with the OSS plan (domain/oss/accounts.py) and queues
the activation email (O5): Keycloak's verify-email and set-password link, naming the
username, leading to the OSS Home.

Logs carry registration ids, outcomes and registry names, never an identifier (X3).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from gerbang_sidecar.domain.account_plan import AccountPlan
from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.domain.oss.accounts import account_plan
from gerbang_sidecar.domain.oss.registration_form import (
    FieldErrors,
    IdentityType,
    OssRegistration,
    form_fields,
    validate_form,
)
from gerbang_sidecar.domain.registration_lifecycle import ACCEPTED
from gerbang_sidecar.domain.registry_results import Match, Unavailable
from gerbang_sidecar.domain.tokens import new_token, plausible, token_hash
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.registries import Dukcapil
from gerbang_sidecar.ports.storage import RegistrationRecord, StorageError, Store
from gerbang_sidecar.services.identity_index import IdentityIndex
from gerbang_sidecar.services.outbox_worker import Delivery
from gerbang_sidecar.services.registrations.accounts import AccountMaker
from gerbang_sidecar.services.registrations.activation_email import ActivationEmails
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem
from gerbang_sidecar.texts import normalise

log = logging.getLogger(__name__)

OUTBOX_MAKE_ACCOUNT = "oss.make_account"
OUTBOX_ACTIVATION_EMAIL = "oss.activation_email"


@dataclass(frozen=True)
class OssRegistrationSettings:
    public_url: str  # SIDECAR_PUBLIC_URL: Home lives under it
    realm: str = "oss"
    client_id: str = "oss-portal"
    portal_path: str = "oss"  # the portal client's path (portals.py)
    # A registration is accepted at once; the thank-you page finds it for a day.
    thank_you_lifetime: timedelta = timedelta(hours=24)
    action_link_lifespan: timedelta = timedelta(hours=12)

    @property
    def portal_url(self) -> str:
        return f"{self.public_url.rstrip('/')}/{self.portal_path}"

    @property
    def home_url(self) -> str:
        return f"{self.portal_url}/home"


@dataclass(frozen=True)
class Submitted:
    """Accepted: the account follows by email (or its owner is told, X1). ``token`` names
    the thank-you page."""

    token: str
    name: str


@dataclass(frozen=True)
class ThankYou:
    name: str


SubmitResult = Submitted | FormErrors | TemporaryProblem


def population_mismatch() -> IdentifierError:
    # One answer for "NIK unknown" and "name or birth date differs" (X1): it tells a
    # stranger typing someone's NIK nothing about whether that NIK exists.
    return IdentifierError("nik.population_mismatch_oss")


class OssRegistrations:
    def __init__(self, store: Store, keycloak: KeycloakUsers, dukcapil: Dukcapil, clock: Clock,
                 settings: OssRegistrationSettings, index: IdentityIndex) -> None:
        self._store = store
        self._dukcapil = dukcapil
        self._clock = clock
        self.settings = settings
        self._emails = ActivationEmails(store, keycloak, clock, settings.realm,
                                        settings.client_id, settings.home_url,
                                        OUTBOX_ACTIVATION_EMAIL, settings.action_link_lifespan)
        self._accounts = AccountMaker(
            store, keycloak, clock, settings.realm, settings.portal_url, plan_of=_plan,
            after_activation=lambda tx, registration_id, now: self._emails.queue(
                tx, registration_id, now=now),
            index=index)

    def make_account(self, delivery: Delivery) -> None:
        """The outbox worker's handler of ``OUTBOX_MAKE_ACCOUNT``."""
        self._accounts.make(int(delivery.payload["registration_id"]))

    def send_activation_email(self, delivery: Delivery) -> None:
        """The outbox worker's handler of ``OUTBOX_ACTIVATION_EMAIL``."""
        self._emails.deliver(delivery)

    def form_errors(self, form: Mapping[str, str | None]) -> FormErrors | None:
        """The form's own rules only, no registry: for a submission the page refuses anyway
        (a missing captcha), so every error still shows at once (X5)."""
        validated = validate_form(form, today=self._clock().date())
        if isinstance(validated, FieldErrors):
            return FormErrors(validated.errors, form_fields(form))
        return None

    def submit(self, form: Mapping[str, str | None], lang: str = "id") -> SubmitResult:
        now = self._clock()
        kept = form_fields(form)
        validated = validate_form(form, today=now.date())
        if isinstance(validated, FieldErrors):
            return FormErrors(validated.errors, kept)
        if validated.identity_type is IdentityType.KTP:
            assert validated.nik is not None  # validate_form guarantees it
            population = self._dukcapil.verify_identity(
                validated.nik, name=validated.name, birth_date=validated.birth_date)
            if isinstance(population, Unavailable):
                log.warning("oss registration: registry %s unavailable (%s)",
                            population.registry, population.reason)
                return TemporaryProblem()
            if not isinstance(population, Match):
                return FormErrors({"nik": population_mismatch()}, kept)
        return self._accept(validated, lang)

    def _accept(self, data: OssRegistration, lang: str) -> SubmitResult:
        now = self._clock()
        realm = self.settings.realm
        token = new_token()
        try:
            with self._store.transaction() as tx:
                row = tx.registrations.add(
                    token_hash=token_hash(token), realm=realm,
                    registration_type=data.identity_type.value,
                    data={"data": data.to_dict(), "terms_accepted_at": now.isoformat()},
                    locale=normalise(lang) or "id", now=now)
                tx.registrations.accept(token_hash(token), realm=realm, now=now,
                                        pending_since=now - self.settings.thank_you_lifetime)
                tx.outbox.enqueue(kind=OUTBOX_MAKE_ACCOUNT, now=now,
                                  idempotency_key=f"oss_make_account:{row.id}",
                                  payload={"registration_id": row.id})
                tx.audit.record(
                    realm=realm, event_type="oss.registration.accepted", occurred_at=now,
                    details={"registration_id": row.id, "type": data.identity_type.value,
                             "checks": ["dukcapil"] if data.nik else []})
        except StorageError as exc:
            log.warning("oss registration: %s", type(exc).__name__)
            return TemporaryProblem()
        log.info("oss registration %s accepted", row.id)
        return Submitted(token=token, name=data.name)

    def thank_you(self, token: str) -> ThankYou | None:
        if not plausible(token):
            return None
        with self._store.transaction() as tx:
            row = tx.registrations.by_token_hash(token_hash(token))
        if row is None or row.realm != self.settings.realm or row.status not in ACCEPTED or \
                row.created_at <= self._clock() - self.settings.thank_you_lifetime:
            return None
        data = row.data
        return ThankYou(name=str(data["name"] if "name" in data else data["data"]["name"]))


def _plan(row: RegistrationRecord) -> AccountPlan:
    return account_plan(OssRegistration.from_dict(row.data["data"]),
                        str(row.data["terms_accepted_at"]))
