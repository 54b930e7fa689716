"""Which identity records a Keycloak account implies (X3, issue 11 item 4), pure.

The registration duplicate check and forgot password find accounts by the sidecar's blind
index instead of Keycloak's attribute search, which reads every user of a realm (measured in
bench/SCALE-RESULTS.md). For that the index must hold every account's identifiers, also of
accounts made or changed outside the sidecar; services/identity_index.py follows Keycloak's
admin events and uses this to turn an account into its records.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

# Keycloak user attribute -> identity record kind. The email is the account's own field.
ATTRIBUTE_KINDS: Mapping[str, str] = {
    "nik": "nik", "passport": "passport", "sid": "sid", "phoneNumber": "phone",
    "nip": "nip", "nrp": "nrp",
}
# Compared case-insensitively, as registration records them (domain/<portal>/accounts.py).
_UPPER = frozenset({"passport", "sid"})


def identifiers_of_account(email: str | None, attributes: Mapping[str, str],
                           kinds: Collection[str]) -> tuple[tuple[str, str], ...]:
    """The (kind, canonical value) pairs of an account, only of ``kinds`` (what the realm's
    registration records: INSW, for one, keeps no NIK record)."""
    pairs = [(kind, _canonical(kind, attributes.get(name) or ""))
             for name, kind in ATTRIBUTE_KINDS.items()]
    pairs.append(("email", (email or "").strip().lower()))
    return tuple((kind, value) for kind, value in pairs if value and kind in kinds)


def _canonical(kind: str, value: str) -> str:
    text = value.strip()
    return text.upper() if kind in _UPPER else text
