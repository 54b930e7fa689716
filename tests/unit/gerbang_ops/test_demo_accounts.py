"""Brief rule 2 (``make run`` ends with demo accounts to log in with), O6's Home and B12's
profile: the demo accounts are people of the registry seed with the profile their
portal's own registration would give them (a newcomer's run found the OSS account and the
Verifikator with thin profiles: OSS Home without an identity, an officer without NIP):
every attribute is one the realm declares, every identifier agrees with the fake
registries, every role exists. (The test names say which rule, or ``make_run`` for the
brief's.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gerbang_ops.demo_accounts import DEMO_ACCOUNTS, DemoAccount
from gerbang_ops.provision.files import RealmSpec, environment_variables, load_realms

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "realm-config"
SEED = ROOT / "extension-service" / "gerbang_sidecar" / "fake_registry" / "seed.json"


@pytest.fixture(scope="module")
def realms() -> dict[str, RealmSpec]:
    env = {name: "x" for name in environment_variables(CONFIG)}
    return {spec.name: spec for spec in load_realms(CONFIG, env)}


@pytest.fixture(scope="module")
def seed() -> dict[str, Any]:
    return json.loads(SEED.read_text(encoding="utf-8"))


def _named(account: DemoAccount) -> str:
    return f"{account.realm}/{account.username}"


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=_named)
def test_make_run_demo_accounts_hold_only_attributes_and_roles_their_realm_declares(
        account: DemoAccount, realms: dict[str, RealmSpec]) -> None:
    spec = realms[account.realm]
    assert spec.user_profile is not None
    declared = {a["name"] for a in spec.user_profile["attributes"]}
    assert set(account.attributes) <= declared, set(account.attributes) - declared
    roles = {r["name"] for r in (spec.roles or [])}
    assert set(account.roles) <= roles


@pytest.mark.parametrize("account", [a for a in DEMO_ACCOUNTS if "nik" in a.attributes],
                         ids=_named)
def test_make_run_demo_identities_are_the_seeded_peoples(account: DemoAccount,
                                                        seed: dict[str, Any]) -> None:
    attributes = account.attributes
    (person,) = [p for p in seed["residents"] if p["nik"] == attributes["nik"]]
    assert person["name"] == account.name.upper()
    assert attributes.get("birthDate", person["birth_date"]) == person["birth_date"]
    if "nip" in attributes:
        (servant,) = [s for s in seed["civil_servants"] if s["nip"] == attributes["nip"]]
        assert servant["nik"] == attributes["nik"]
        assert (attributes["instansi"], attributes["jabatan"], attributes["unitOrganisasi"]) \
            == (servant["instansi"], servant["jabatan"], servant["unit_organisasi"])


def test_o6_b12_the_oss_home_and_the_verifikators_profile_have_what_they_show() -> None:
    by_realm = {a.realm: a for a in DEMO_ACCOUNTS if a.realm in ("oss", "bsre")}
    assert {"identityType", "nik", "birthDate"} <= set(by_realm["oss"].attributes)
    assert {"nik", "nip", "employmentStatus", "instansi", "jabatan", "unitOrganisasi",
            "verificationStatus"} <= set(by_realm["bsre"].attributes)
