"""What an approved INSW registration becomes in Keycloak (I4), pure: the organisation
account in its group, with the organisation's numbers and the reviewer's verdict on its
profile (realm-config/insw/user-profile.json)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gerbang_sidecar.domain.account_plan import AccountPlan

ROLE_PENGGUNA_ORGANISASI = "pengguna-organisasi"
# As realm-config/insw/groups.json declares them (a test holds the two together).
GROUP_ROLES: dict[str, tuple[str, ...]] = {
    "pengguna-organisasi": (ROLE_PENGGUNA_ORGANISASI,),
}


def account_plan(data: Mapping[str, Any]) -> AccountPlan:
    """``data``: the approved registration (organisation, person, the username issued).
    One mobile number and one email per account, as everywhere; an organisation (NIB) may
    have several accounts, so the NIB is no duplicate key."""
    organisation, person = data["organisation"], data["person"]
    return AccountPlan(
        username=data["username"].lower(), email=person["email"], name=person["name"],
        phone=person["phone"], group="pengguna-organisasi",
        attributes={"nib": organisation["nib"], "npwp": organisation["npwp"],
                    "nik": organisation["nik"], "organisationName": organisation["name"],
                    "jabatan": person["position"], "reviewStatus": "disetujui",
                    "phoneNumber": person["phone"], "phoneNumberVerified": "false"},
        proven=(), identifiers=(("email", person["email"].lower()), ("phone", person["phone"])),
        audit={"type": "organisasi", "roles": list(GROUP_ROLES["pengguna-organisasi"]),
               "checks": ["oss.nib_npwp_nik", "review"]})
