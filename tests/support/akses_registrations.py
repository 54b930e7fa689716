"""AKSes registrations for service tests: the seeded people's forms and the steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.adapters.storage.models import AuditEvent, IdentityRecord
from gerbang_sidecar.services.akses.registration.results import (
    ActivationAccepted,
    Confirmation,
)

REALM = "akses"
BERANDA = "https://gerbang.example.id/akses/beranda"

# Seeded demo identities. Phones differ: a mobile number belongs to one account too.
SITI = {"type": "individu-lokal", "name": "Siti Rahmawati", "nik": "3171015203900001",
        "phone": "0812-3456-7890", "email": "siti.rahmawati@example.com"}
BUDI = {"type": "individu-lokal", "name": "Budi Santoso", "nik": "3273051707850002",
        "phone": "081298765432", "email": "budi.santoso@example.co.id"}
RIZKY = {"type": "individu-lokal", "name": "Muhammad Rizky Pratama",
         "nik": "3471020211930003", "phone": "081311112222",
         "email": "rizky.pratama@example.com"}
RUDI = {"type": "individu-lokal", "name": "Rudi Hartono", "nik": "3578032501780004",
        "phone": "081377778888", "email": "rudi.hartono@example.com"}
KENJI = {"type": "individu-asing", "name": "Kenji Watanabe", "passport": "tr5839201",
         "phone": "+81 90-1234-5678", "email": "kenji.watanabe@example.org"}
DANA = {"type": "institusi", "name": "PT Dana Sejahtera Investama", "sid": "CPD010315774201",
        "phone": "+62 821 5555 6666", "email": "keuangan@danasejahtera.example.com"}
HARBOUR = {"type": "institusi", "name": "HARBOUR BRIDGE CAPITAL PTE. LTD.",
           "sid": "cpf-200912650034", "phone": "+65 8123 4567",
           "email": "Operations@HarbourBridge.example.com"}


def confirm(service: Any, form: dict[str, str], lang: str = "id") -> Confirmation:
    result = service.check(form, lang)
    assert isinstance(result, Confirmation), result
    return result


def register(service: Any, form: dict[str, str],
             deliver: Callable[[], Any]) -> Confirmation:
    """"Selanjutnya", "Aktivasi", then the outbox worker: the account is made (or declined)."""
    confirmation = confirm(service, form)
    accepted = service.activate(confirmation.token)
    assert isinstance(accepted, ActivationAccepted), accepted
    deliver()
    return confirmation


def identity_records(storage: Storage) -> list[tuple[str, str, str | None]]:
    with storage.session_factory() as s:
        return sorted((r.kind, r.value, r.subject_id)
                      for r in s.scalars(select(IdentityRecord)))


def audit_types(storage: Storage) -> list[str]:
    with storage.session_factory() as s:
        return [e.event_type for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
