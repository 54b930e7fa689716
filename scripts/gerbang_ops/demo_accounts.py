"""A few accounts per realm so a newcomer can log in right after ``make run``.

Identifiers are the fake registries' seeded people (docs/registries.md), so the sidecar's
checks agree with what these accounts hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gerbang_ops.otp_device import totp_credential
from gerbang_ops.provision.changes import seg
from gerbang_ops.provision.keycloak_api import KeycloakApi


@dataclass(frozen=True)
class DemoAccount:
    realm: str
    username: str
    name: str
    roles: tuple[str, ...]
    what: str
    attributes: dict[str, str] = field(default_factory=dict)
    # A BSrE account and an INSW reviewer cannot log in without an OTP device (B8/B9).
    otp_device: bool = False


DEVICE = "Demo"  # the label of the demo accounts' OTP device
DEMO_ACCOUNTS = (
    DemoAccount("akses", "siti.rahmawati@example.com", "Siti Rahmawati",
                ("investor", "easy-shareholder"), "local investor with a SID: Beranda and eASY",
                {"nik": "3171015203900001", "sid": "IDD120390482615",
                 "investorType": "individu-lokal", "phoneNumber": "+6281234567801",
                 "phoneNumberVerified": "true"}),
    DemoAccount("akses", "budi.santoso@example.com", "Budi Santoso", ("registered-user",),
                "registered user without a SID: Beranda, eASY refused",
                {"nik": "3273051707850002", "investorType": "individu-lokal"}),
    DemoAccount("oss", "pelaku.usaha@example.com", "Hendra Gunawan", ("pelaku-usaha",),
                "OSS business actor by KTP (responsible person of PT NUSANTARA DIGITAL NIAGA)",
                {"identityType": "ktp", "nik": "3374023010750008", "birthDate": "1975-10-30",
                 "citizenship": "ID", "phoneNumber": "+6281234567808",
                 "phoneNumberVerified": "false"}),
    DemoAccount("bsre", "verifikator@example.com", "Agus Wibowo", ("verifikator",),
                "BSrE verifier of BSSN (OTP device: the key below)",
                {"nik": "3174041108810030", "nip": "198108112005011006",
                 "employmentStatus": "asn-polri", "instansi": "Badan Siber dan Sandi Negara",
                 "jabatan": "Sandiman Ahli Madya",
                 "unitOrganisasi": "Balai Besar Sertifikasi Elektronik",
                 "phoneNumber": "+6281234567830", "phoneNumberVerified": "true",
                 "verificationStatus": "terverifikasi"}, otp_device=True),
    DemoAccount("insw", "reviewer@example.com", "Rina Marlina", ("reviewer",),
                "INSW registration reviewer (OTP device: the key below)", otp_device=True),
)


def ensure_demo_accounts(api: KeycloakApi, password: str, otp_key: str,
                         accounts: tuple[DemoAccount, ...] = DEMO_ACCOUNTS) -> None:
    """Create missing demo accounts; existing ones are left as they are (their password too).
    Accounts that must use OTP get a device on ``otp_key``: their login never sets one up
    with the password alone (B9), and a demo has no Helpdesk to ask."""
    for account in accounts:
        realm = seg(account.realm)
        if existing := api.get(f"/{realm}/users", username=account.username, exact="true"):
            _give_a_device_if_none(api, account, existing[0], otp_key)
            continue
        api.post(f"/{realm}/users", {
            "username": account.username, "email": account.username, "emailVerified": True,
            "firstName": account.name, "enabled": True,
            "attributes": {k: [v] for k, v in account.attributes.items()},
            "credentials": [{"type": "password", "value": password, "temporary": False},
                            *([totp_credential(otp_key, DEVICE)] if account.otp_device else [])],
        })
        user = api.get(f"/{realm}/users", username=account.username, exact="true")[0]
        roles = [api.get(f"/{realm}/roles/{seg(r)}") for r in account.roles]
        api.post(f"/{realm}/users/{user['id']}/role-mappings/realm", roles)


def _give_a_device_if_none(api: KeycloakApi, account: DemoAccount, user: dict[str, Any],
                           otp_key: str) -> None:
    """A demo account from an older run, made when its login could still set one up."""
    realm = seg(account.realm)
    if not account.otp_device or any(
            c["type"] == "otp" for c in api.get(f"/{realm}/users/{user['id']}/credentials")):
        return
    api.put(f"/{realm}/users/{user['id']}", {
        **{k: user[k] for k in ("username", "email", "firstName", "enabled", "emailVerified")},
        "credentials": [totp_credential(otp_key, DEVICE)]})
