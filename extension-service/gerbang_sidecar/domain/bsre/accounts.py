"""What a verified BSrE activation becomes in Keycloak (B5, B6), pure: the holder's account in
the ``pengguna`` group with the profile of realm-config/bsre/user-profile.json.

The username is the email address, lower-cased: B8 logs in with "Username atau Email", and the
address is the one the user proved by opening the "Aktivasi Akun" link. For "Lainnya" the
profile's NIP is the NIK (B3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gerbang_sidecar.domain.account_plan import AccountPlan
from gerbang_sidecar.domain.bsre.activation_form import EmploymentStatus, NumberKind

ROLE_PENGGUNA = "pengguna"
ROLE_VERIFIKATOR = "verifikator"
ROLE_RA = "ra"
# As realm-config/bsre/groups.json declares them (a test holds the two together).
GROUP_ROLES: dict[str, tuple[str, ...]] = {"pengguna": (ROLE_PENGGUNA,)}
PROVEN = ("nik",)
VERIFIED = "terverifikasi"


def keycloak_attributes(data: Mapping[str, Any]) -> dict[str, str]:
    personal, service = data["personal"], data["service"]
    attributes = {
        "nik": personal["nik"], "instansi": data["instansi"],
        "employmentStatus": service["status"], "phoneNumber": personal["phone"],
        "phoneNumberVerified": "true", "verificationStatus": VERIFIED,
        "consentDataProcessingAt": data["consents"]["consent_data"],
        "consentPrivacyPolicyAt": data["consents"]["consent_privacy"],
    }
    if service["status"] == EmploymentStatus.LAINNYA.value:
        attributes.update({"nip": personal["nik"], "jabatan": service["jabatan"],
                           "unitOrganisasi": service["unit_organisasi"],
                           "provinsi": service["provinsi"]})
    else:
        attributes[service["number_kind"]] = service["number"]
        found = service.get("registry", {})
        attributes.update({k: v for k, v in (("jabatan", found.get("jabatan")),
                                             ("unitOrganisasi", found.get("unit_organisasi")))
                           if v})
    return attributes


def identifiers_of(data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    personal, service = data["personal"], data["service"]
    pairs = [("nik", personal["nik"]), ("email", data["email"].lower()),
             ("phone", personal["phone"])]
    if service["status"] == EmploymentStatus.ASN_POLRI.value:
        pairs.append((service["number_kind"], service["number"]))
    return tuple(pairs)


def checks_of(data: Mapping[str, Any]) -> list[str]:
    service = data["service"]
    checks = ["dukcapil.nik_name", "dukcapil.face", "whatsapp.phone"]
    if service["status"] == EmploymentStatus.ASN_POLRI.value:
        checks.append("bkn.nip_nik" if service["number_kind"] == NumberKind.NIP.value
                      else "sipp.nrp_nik")
    else:
        checks.append("verifikator")
    return checks


def account_plan(data: Mapping[str, Any]) -> AccountPlan:
    """``data``: the submitted activation (personal, service, consents, email, instansi)."""
    personal = data["personal"]
    return AccountPlan(
        username=data["email"].lower(), email=data["email"], name=personal["name"],
        phone=personal["phone"], group="pengguna", attributes=keycloak_attributes(data),
        proven=PROVEN, identifiers=identifiers_of(data),
        audit={"type": data["service"]["status"], "roles": list(GROUP_ROLES["pengguna"]),
               "checks": checks_of(data)})
