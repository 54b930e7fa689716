"""X10 (UU PDP No. 27/2022): every personal datum a portal holds about the logged-in user, as
one JSON document, and the download in the audit trail.

Gathered from where each datum lives: Keycloak (profile attributes, consents stored there,
OTP devices, the user's own events) and the sidecar (identity records -- decrypted, they are
the user's own -- the registration that made the account with what it kept, INSW's Surat
Kuasa included, account requests, certificates as issued and certificate requests with
their verification, the audit trail about the user). Secrets are never part of it: no
password or OTP secret, no token, no code hash, no PKCS#12.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gerbang_sidecar.ports.clock import Clock, from_ms
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.storage import CertificateRow, Store

EVENTS_INCLUDED = 500


@dataclass(frozen=True)
class AccountData:
    document: dict[str, Any]

    @property
    def filename(self) -> str:
        return f"data-saya-{self.document['portal']['realm']}.json"


class AccountDataExport:
    def __init__(self, store: Store, keycloak: KeycloakUsers, clock: Clock) -> None:
        self._store = store
        self._keycloak = keycloak
        self._clock = clock

    def export(self, realm: str, portal_name: str, user_id: str) -> AccountData | None:
        """None when the account is gone. Keycloak down raises KeycloakUnavailable."""
        user = self._keycloak.get_user(realm, user_id)
        if user is None:
            return None
        devices = self._keycloak.otp_devices(realm, user_id)
        events = self._keycloak.user_events(realm, user_id, limit=EVENTS_INCLUDED)
        now = self._clock()
        with self._store.transaction() as tx:
            identifiers = [{"kind": r.kind, "value": r.value, "recorded_at": _iso(r.created_at)}
                           for r in tx.identities.of_subject(realm=realm, subject_id=user_id)]
            audit = [{"event": e.event_type, "at": _iso(e.occurred_at), "details": e.details}
                     for e in tx.audit.of_subject(user_id) if e.realm == realm]
            requests = [{"kind": r.kind, "status": r.status, "at": _iso(r.created_at),
                         **({"change": r.data} if r.kind.startswith("change_") else {})}
                        for r in tx.account_requests.of_user(realm=realm, user_id=user_id)]
            registrations = [
                {"type": r.registration_type, "status": r.status, "at": _iso(r.created_at),
                 "kept": _about_the_user(r.data),
                 "documents": [{"kind": d.kind, "media_type": d.media_type, "size": d.size,
                                "uploaded_at": _iso(d.created_at),
                                "content_base64": base64.b64encode(bytes(d.content)).decode()}
                               for d in tx.registrations.documents(r.id)]}
                for r in tx.registrations.of_account(realm=realm, keycloak_user_id=user_id)]
            certificates = [_certificate(c) for c in
                            tx.certificates.certificates_of(realm=realm, user_id=user_id)]
            certificate_requests = [
                {"kind": r.kind, "product": r.product, "verification": r.verification,
                 "enrollment": r.enrollment, "detail": r.detail, "at": _iso(r.created_at),
                 "selfie_checked_at": _iso(r.selfie_checked_at) if r.selfie_checked_at
                 else None}
                for r in tx.certificates.requests_of(realm=realm, user_id=user_id)]
            tx.audit.record(realm=realm, event_type="account_data.downloaded", occurred_at=now,
                            actor=user_id, subject_id=user_id,
                            details={"identifiers": len(identifiers), "events": len(events)})
        document = {
            "portal": {"realm": realm, "name": portal_name},
            "generated_at": _iso(now),
            "account": {"id": user.id, "username": user.username, "email": user.email,
                        "email_verified": user.email_verified, "name": user.first_name,
                        "enabled": user.enabled, "attributes": dict(user.attributes)},
            "otp_devices": [{"name": d.label, "added_at": _iso(from_ms(d.created_ms))}
                            for d in devices],
            "identifiers": identifiers,
            "activity": [{"event": e.type, "at": _iso(from_ms(e.time_ms)),
                          "client": e.client_id, "ip_address": e.ip_address,
                          **({"error": e.error} if e.error else {})} for e in events],
            "requests": requests,
            "registrations": registrations,
            "certificates": certificates,
            "certificate_requests": certificate_requests,
            "audit_trail": audit,
        }
        return AccountData(document)


def _certificate(row: CertificateRow) -> dict[str, Any]:
    """The user's certificate as issued (it names them: CN, serialNumber) and its state;
    never the PKCS#12 that holds the key."""
    pem = x509.load_der_x509_certificate(bytes(row.certificate)).public_bytes(
        serialization.Encoding.PEM).decode("ascii")
    return {"serial_number": row.serial_number, "product": row.product, "status": row.status,
            "common_name": row.common_name, "enroll_method": row.enroll_method,
            "note": row.note, "valid_from": _iso(row.not_before),
            "valid_until": _iso(row.not_after),
            "revoked_at": _iso(row.revoked_at) if row.revoked_at else None,
            "revocation_reason": row.revocation_reason, "certificate_pem": pem}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# Who among the officers invited or verified the user: their Keycloak ids, another person's
# data (the page and the audit trail say it was the Verifikator).
OFFICER_KEYS = ("invited_by", "verified_by")


def _about_the_user(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    return {k: v for k, v in data.items() if k not in OFFICER_KEYS}
