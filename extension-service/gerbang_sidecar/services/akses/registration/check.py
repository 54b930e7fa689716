""""Selanjutnya" (A1–A5): validate the form, ask the registries, refuse duplicates, and keep
the registration pending for the confirmation page.

Duplicates are refused with one answer that names neither the identifier nor the account
(X1), and only after the registries confirmed the identity, so it is no free oracle on emails
or NIKs. Every request to Keycloak costs it real work, so this step sends one or two.

Logs carry registration ids, outcomes and registry names, never an identifier (X3).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Future

from gerbang_sidecar.domain.akses.accounts import checks_made, identifiers_of, roles_for
from gerbang_sidecar.domain.akses.registration_form import (
    FieldErrors,
    RegistrationData,
    RegistrationType,
    form_fields,
    validate_form,
)
from gerbang_sidecar.domain.akses.registry_decisions import (
    Decision,
    RegistryDown,
    Rejected,
    decide_by_investor,
    decide_local,
)
from gerbang_sidecar.domain.identifiers import parse_mobile_number
from gerbang_sidecar.domain.masking import mask
from gerbang_sidecar.domain.registry_results import Match
from gerbang_sidecar.domain.tokens import new_token, token_hash
from gerbang_sidecar.ports.keycloak import KeycloakError, UserRecord
from gerbang_sidecar.ports.storage import StorageError
from gerbang_sidecar.services.akses.registration.context import Context
from gerbang_sidecar.services.akses.registration.results import (
    AlreadyRegistered,
    CheckResult,
    Confirmation,
    FormErrors,
)
from gerbang_sidecar.services.results import TemporaryProblem
from gerbang_sidecar.texts import normalise

log = logging.getLogger(__name__)


def check(ctx: Context, form: Mapping[str, str | None], lang: str = "id") -> CheckResult:
    now = ctx.clock()
    kept = form_fields(form)
    validated = validate_form(form, today=now.date())
    if isinstance(validated, FieldErrors):
        return FormErrors(validated.errors, kept)

    # The search for an account made elsewhere with the identifier typed runs while the
    # registries answer: it is the same request whatever they say, and the page waits less.
    made_elsewhere = ctx.lookups.submit(ctx.keycloak.find_by_attribute, ctx.settings.realm,
                                        *_typed_identifier(validated))
    decision = _ask_registries(ctx, validated)
    if isinstance(decision, RegistryDown):
        log.warning("akses registration check: registry %s unavailable (%s)",
                    decision.registry, decision.reason)
        return TemporaryProblem()
    if isinstance(decision, Rejected):
        return FormErrors(decision.errors, kept)
    data = decision.data

    try:
        if _already_registered(ctx, data, made_elsewhere):
            log.info("akses registration check: refused as already registered")
            return AlreadyRegistered()
        token = new_token()
        with ctx.store.transaction() as tx:
            row = tx.akses_registrations.add(
                token_hash=token_hash(token), registration_type=data.type.value,
                data={"data": data.to_dict(), "form": kept}, locale=normalise(lang) or "id",
                now=now)
            tx.audit.record(
                realm=ctx.settings.realm, event_type="akses.registration.checked",
                occurred_at=now,
                details={"registration_id": row.id, "type": data.type.value,
                         "checks": list(checks_made(data)), "investor": data.is_investor})
    except (KeycloakError, StorageError) as exc:
        log.warning("akses registration check: %s", type(exc).__name__)
        return TemporaryProblem()
    log.info("akses registration %s pending confirmation", row.id)
    return _confirmation(token, data)


def _ask_registries(ctx: Context, data: RegistrationData) -> Decision:
    ksei = ctx.registries.ksei
    if data.type is RegistrationType.INDIVIDU_LOKAL:
        assert data.nik is not None  # validate_form guarantees it
        population = ctx.registries.dukcapil.verify_identity(data.nik, name=data.name)
        investor = ksei.find_investor("nik", data.nik) if isinstance(population, Match) \
            else None
        return decide_local(data, population, investor)
    if data.type is RegistrationType.INDIVIDU_ASING:
        assert data.passport is not None
        return decide_by_investor(data, ksei.find_investor("passport", data.passport))
    assert data.sid is not None
    return decide_by_investor(data, ksei.find_investor("sid", data.sid))


def _typed_identifier(data: RegistrationData) -> tuple[str, str]:
    """The identifier the registration type is made with (A2–A4), as a profile attribute."""
    name = {RegistrationType.INDIVIDU_LOKAL: "nik", RegistrationType.INDIVIDU_ASING: "passport",
            RegistrationType.INSTITUSI: "sid"}[data.type]
    return name, str(getattr(data, name))


def _already_registered(ctx: Context, data: RegistrationData,
                        made_elsewhere: Future[list[UserRecord]]) -> bool:
    """Our identity records first (blind index, one query for every identifier), then
    Keycloak for the registry-proven identifiers an account made elsewhere carries (legacy
    imports have a NIK or SID, admins fill them in). A taken email needs no search: Keycloak
    refuses a second account with it at "Aktivasi" (its emails are unique per realm)."""
    realm = ctx.settings.realm
    with ctx.store.transaction() as tx:
        if tx.identities.any_exists(realm=realm, pairs=identifiers_of(data)):
            return True
    if made_elsewhere.result():
        return True
    # The SID KSEI found for a local individual: a legacy account may carry only that.
    found_sid = data.sid is not None and _typed_identifier(data)[0] != "sid"
    return found_sid and bool(ctx.keycloak.find_by_attribute(realm, "sid", str(data.sid)))


def _confirmation(token: str, data: RegistrationData) -> Confirmation:
    phone = parse_mobile_number(data.phone, allow_foreign=True)
    return Confirmation(
        token=token, type=data.type, name=data.name, email=data.email,
        phone=phone.national_format if phone.is_indonesian else phone.international_format,
        nik_masked=mask(data.nik) if data.nik else None,
        passport_masked=mask(data.passport) if data.passport else None,
        sid=data.sid, roles=roles_for(data))
