"""What an eligible AKSes registration becomes in Keycloak (A1, A8), pure: its group (and so
its roles), its profile attributes and the identifiers recorded against duplicates."""

from __future__ import annotations

from gerbang_sidecar.domain.account_plan import AccountPlan
from gerbang_sidecar.domain.akses.registration_form import RegistrationData, RegistrationType

ROLE_INVESTOR = "investor"
ROLE_REGISTERED_USER = "registered-user"
ROLE_EASY_SHAREHOLDER = "easy-shareholder"

# The group each kind of new account joins, and the realm roles it gives (the realm declares
# the same in realm-config/akses/groups.json; a test holds the two together). An account is
# created in its group with one request to Keycloak.
GROUP_ROLES: dict[str, tuple[str, ...]] = {
    "investor-wni": (ROLE_INVESTOR, ROLE_EASY_SHAREHOLDER),
    "investor": (ROLE_INVESTOR,),
    "registered-user": (ROLE_REGISTERED_USER,),
}


def group_for(data: RegistrationData) -> str:
    """A1 and A8: investors by SID; eASY only for local individuals holding a SID."""
    if data.type is RegistrationType.INDIVIDU_LOKAL:
        return "registered-user" if data.sid is None else "investor-wni"
    if data.sid is None:
        raise ValueError("foreign individuals and institutions register only with a SID")
    return "investor"


def roles_for(data: RegistrationData) -> tuple[str, ...]:
    return GROUP_ROLES[group_for(data)]


def keycloak_attributes(data: RegistrationData) -> dict[str, str]:
    """The realm's user-profile attributes (realm-config/akses/user-profile.json)."""
    attributes = {"investorType": data.type.value, "phoneNumber": data.phone,
                  "phoneNumberVerified": "false"}
    for name in ("nik", "passport", "sid"):
        value = getattr(data, name)
        if value is not None:
            attributes[name] = value
    return attributes


def identifiers_of(data: RegistrationData) -> list[tuple[str, str]]:
    """(kind, canonical value) pairs recorded as identity records and checked for duplicates.

    Emails compare case-insensitively (A2: an email is a username), so the lower-cased
    address is the key; the others are already canonical (digits, upper case, E.164).
    """
    pairs = [("nik", data.nik), ("passport", data.passport), ("sid", data.sid),
             ("email", data.email.lower()), ("phone", data.phone)]
    return [(kind, value) for kind, value in pairs if value is not None]


def checks_made(data: RegistrationData) -> tuple[str, ...]:
    """Which registry verifications an eligible registration passed (for the audit, X4)."""
    if data.type is RegistrationType.INDIVIDU_LOKAL:
        return ("dukcapil.nik_name", "ksei.broker_email") if data.is_investor \
            else ("dukcapil.nik_name", "ksei.no_sid")
    return ("ksei.name", "ksei.broker_email")


# Profile attributes that prove who an account belongs to, compared with an earlier
# run's own unfinished account.
PROVEN = ("nik", "passport", "sid")


def account_plan(data: RegistrationData) -> AccountPlan:
    """A2-A5: the email is the username (C3 logs in with either)."""
    return AccountPlan(
        username=data.email.lower(), email=data.email, name=data.name, phone=data.phone,
        group=group_for(data), attributes=keycloak_attributes(data), proven=PROVEN,
        identifiers=tuple(identifiers_of(data)),
        audit={"type": data.type.value, "roles": list(roles_for(data)),
               "checks": list(checks_made(data))})
