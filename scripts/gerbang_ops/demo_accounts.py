"""A few accounts per realm so a newcomer can log in right after ``make run``.

Identifiers are the fake registries' seeded people (docs/registries.md), so the sidecar's
checks agree with what these accounts hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


DEMO_ACCOUNTS = (
    DemoAccount("akses", "siti.rahmawati@example.com", "Siti Rahmawati",
                ("investor", "easy-shareholder"), "local investor with a SID: Beranda and eASY",
                {"nik": "3171015203900001", "sid": "IDD120390482615",
                 "investorType": "individu-lokal", "phoneNumber": "+6281234567801",
                 "phoneNumberVerified": "true"}),
    DemoAccount("akses", "budi.santoso@example.com", "Budi Santoso", ("registered-user",),
                "registered user without a SID: Beranda, eASY refused",
                {"nik": "3273051707850002", "investorType": "individu-lokal"}),
    DemoAccount("oss", "pelaku.usaha@example.com", "Dewi Lestari", ("pelaku-usaha",),
                "OSS business actor"),
    DemoAccount("bsre", "verifikator@example.com", "Agus Wibowo", ("verifikator",),
                "BSrE verifier of BSSN (sets up an OTP device at first login)",
                {"instansi": "Badan Siber dan Sandi Negara"}),
    DemoAccount("insw", "reviewer@example.com", "Rina Marlina", ("reviewer",),
                "INSW registration reviewer"),
)


def ensure_demo_accounts(api: KeycloakApi, password: str) -> None:
    """Create missing demo accounts; existing ones are left as they are (their password too)."""
    for account in DEMO_ACCOUNTS:
        realm = seg(account.realm)
        if api.get(f"/{realm}/users", username=account.username, exact="true"):
            continue
        api.post(f"/{realm}/users", {
            "username": account.username, "email": account.username, "emailVerified": True,
            "firstName": account.name, "enabled": True,
            "attributes": {k: [v] for k, v in account.attributes.items()},
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        })
        user = api.get(f"/{realm}/users", username=account.username, exact="true")[0]
        roles = [api.get(f"/{realm}/roles/{seg(r)}") for r in account.roles]
        api.post(f"/{realm}/users/{user['id']}/role-mappings/realm", roles)
