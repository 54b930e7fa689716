"""What an accepted OSS registration becomes in Keycloak (O1, O4, O5), pure: its group (and
so its roles), its profile attributes (realm-config/oss/user-profile.json) and the identifiers
recorded against duplicates.

The username is the email address, lower-cased: OSS mails a username after activation (O5),
and an address its owner already knows is the one they will not forget; C3 accepts either.
"""

from __future__ import annotations

from gerbang_sidecar.domain.account_plan import AccountPlan
from gerbang_sidecar.domain.oss.registration_form import IdentityType, OssRegistration

ROLE_PELAKU_USAHA = "pelaku-usaha"
ROLE_PELAKU_USAHA_WNA = "pelaku-usaha-wna"
# As realm-config/oss/groups.json declares them (a test holds the two together).
GROUP_ROLES: dict[str, tuple[str, ...]] = {
    "pelaku-usaha": (ROLE_PELAKU_USAHA,),
    "pelaku-usaha-wna": (ROLE_PELAKU_USAHA, ROLE_PELAKU_USAHA_WNA),
}
PROVEN = ("nik", "passport")


def group_for(data: OssRegistration) -> str:
    return "pelaku-usaha" if data.identity_type is IdentityType.KTP else "pelaku-usaha-wna"


def keycloak_attributes(data: OssRegistration, terms_accepted_at: str) -> dict[str, str]:
    attributes = {"identityType": data.identity_type.value, "phoneNumber": data.phone,
                  "phoneNumberVerified": "false", "birthDate": data.birth_date.isoformat(),
                  "citizenship": data.country, "termsAcceptedAt": terms_accepted_at}
    if data.nik is not None:
        attributes["nik"] = data.nik
    if data.passport is not None:
        assert data.passport_issue_date and data.passport_expiry_date and data.sex
        attributes.update({
            "passport": data.passport, "passportCountry": data.passport_country or "",
            "passportIssueDate": data.passport_issue_date.isoformat(),
            "passportExpiryDate": data.passport_expiry_date.isoformat(),
            "passportOffice": data.passport_office or "", "gender": data.sex.value,
            "birthPlace": data.birth_place or ""})
    return attributes


def identifiers_of(data: OssRegistration) -> tuple[tuple[str, str], ...]:
    """Emails compare case-insensitively; the others are canonical already."""
    pairs = [("nik", data.nik), ("passport", data.passport), ("email", data.email.lower()),
             ("phone", data.phone)]
    return tuple((kind, value) for kind, value in pairs if value is not None)


def account_plan(data: OssRegistration, terms_accepted_at: str) -> AccountPlan:
    group = group_for(data)
    return AccountPlan(
        username=data.email.lower(), email=data.email, name=data.name, phone=data.phone,
        group=group, attributes=keycloak_attributes(data, terms_accepted_at), proven=PROVEN,
        identifiers=identifiers_of(data),
        audit={"type": data.identity_type.value, "roles": list(GROUP_ROLES[group]),
               "checks": ["dukcapil.nik_name_birth_date"] if data.nik else []})
