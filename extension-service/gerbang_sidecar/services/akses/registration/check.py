""""Selanjutnya" (A1–A5): validate the form, ask the registries and keep the registration
pending for the confirmation page.

Nothing here looks at existing accounts (X1): whether an email, phone, NIK, passport or SID
already has one is decided after "Aktivasi", out of the page's sight (account.py), so this
step answers the same, in the same time, for a taken identifier and a free one.

Logs carry registration ids, outcomes and registry names, never an identifier (X3).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from gerbang_sidecar.domain.akses.accounts import checks_made, roles_for
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
from gerbang_sidecar.ports.storage import StorageError
from gerbang_sidecar.services.akses.registration.context import Context
from gerbang_sidecar.services.akses.registration.results import (
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

    decision = _ask_registries(ctx, validated)
    if isinstance(decision, RegistryDown):
        log.warning("akses registration check: registry %s unavailable (%s)",
                    decision.registry, decision.reason)
        return TemporaryProblem()
    if isinstance(decision, Rejected):
        return FormErrors(decision.errors, kept)
    data = decision.data

    try:
        token = new_token()
        with ctx.store.transaction() as tx:
            row = tx.registrations.add(
                token_hash=token_hash(token), realm=ctx.settings.realm,
                registration_type=data.type.value,
                data={"data": data.to_dict(), "form": kept}, locale=normalise(lang) or "id",
                now=now)
            tx.audit.record(
                realm=ctx.settings.realm, event_type="akses.registration.checked",
                occurred_at=now,
                details={"registration_id": row.id, "type": data.type.value,
                         "checks": list(checks_made(data)), "investor": data.is_investor})
    except StorageError as exc:
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


def _confirmation(token: str, data: RegistrationData) -> Confirmation:
    phone = parse_mobile_number(data.phone, allow_foreign=True)
    return Confirmation(
        token=token, type=data.type, name=data.name, email=data.email,
        phone=phone.national_format if phone.is_indonesian else phone.international_format,
        nik_masked=mask(data.nik) if data.nik else None,
        passport_masked=mask(data.passport) if data.passport else None,
        sid=data.sid, roles=roles_for(data))
