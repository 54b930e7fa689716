"""A6 importer against the real Keycloak: members keep their old password, land with the
``legacy-member`` role and no email, re-running writes nothing, bad rows are rejected alone."""

from __future__ import annotations

import base64
import hashlib
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from gerbang_ops.import_legacy_members import Importer, read_rows
from gerbang_ops.keycloak.server import KeycloakServer
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import KeycloakApi
from support.oidc_login import BrowserLogin

pytestmark = pytest.mark.keycloak
OLD_PASSWORD = "Lama#Sandi2019"


def old_hash(password: str, iterations: int = 27500) -> str:
    salt = secrets.token_bytes(16)
    derived = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations, 32)
    return (f"pbkdf2-sha256${iterations}${base64.b64encode(salt).decode()}"
            f"${base64.b64encode(derived).decode()}")


def unique_nik() -> str:
    # Jakarta Pusat region 317101, born 12-03-1990 (woman: day + 40), a random sequence.
    return f"317101520390{secrets.randbelow(9000) + 1000}"


def unique_sid() -> str:
    return f"IDD{secrets.randbelow(10**12):012d}"


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("user_id,name,nik,sid,password_hash\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    return path


def test_a6_import_keeps_password_role_and_is_idempotent(
        tmp_path: Path, keycloak: KeycloakServer, admin_api: KeycloakApi,
        provisioned: list[RealmSpec], sidecar_url: str) -> None:
    uid_nik, uid_sid = f"lama{uuid.uuid4().hex[:8]}", f"Old_{uuid.uuid4().hex[:8]}"
    nik, sid = unique_nik(), unique_sid()
    csv_path = write_csv(tmp_path / "members.csv", [
        f"{uid_nik},Budi Lama,{nik},,{old_hash(OLD_PASSWORD)}",
        f"{uid_sid},Sari Lama,,{sid},{old_hash(OLD_PASSWORD)}",
        f"bad{uuid.uuid4().hex[:6]},Nik Salah,1234,,{old_hash(OLD_PASSWORD)}",
        f"{uid_nik},Dua Kali,{unique_nik()},,{old_hash(OLD_PASSWORD)}",
        f"nohash{uuid.uuid4().hex[:6]},Tanpa Hash,{unique_nik()},,plain-text",
    ])
    lines: list[str] = []
    report = Importer(admin_api, "akses", out=lines.append).run(read_rows(csv_path))
    assert (report.imported, report.unchanged, report.rejected) == (2, 0, 3)
    assert lines[2].startswith("row 4: rejected: NIK")
    assert "twice" in lines[3] and "password_hash" in lines[4]
    printed = "\n".join(lines)
    for secret in (nik, sid, uid_nik, uid_sid):
        assert secret not in printed and secret.lower() not in printed

    user = admin_api.get("/akses/users", username=uid_sid.lower(), exact="true")[0]
    assert user["attributes"]["legacyUserId"] == [uid_sid]
    assert user["attributes"]["sid"] == [sid]
    assert not user.get("email") and user["emailVerified"] is True
    roles = {r["name"] for r in admin_api.get(f"/akses/users/{user['id']}/role-mappings/realm")}
    assert "legacy-member" in roles
    # A1/A8 as registration decides them: a NIK with a SID opens eASY, a NIK alone is a
    # registered user, a SID alone an investor (review: imports got no group at all).
    with_nik = admin_api.get("/akses/users", username=uid_nik.lower(), exact="true")[0]
    assert with_nik["attributes"]["investorType"] == ["individu-lokal"]
    assert [g["name"] for g in admin_api.get(f"/akses/users/{with_nik['id']}/groups")] == [
        "registered-user"]
    assert [g["name"] for g in admin_api.get(f"/akses/users/{user['id']}/groups")] == [
        "investor"]

    # The old password works as it is, with no Keycloak page in between (verifyEmail on).
    for username in (uid_nik, uid_sid):
        login = BrowserLogin(keycloak.url, "akses", "akses-portal",
                             f"{sidecar_url}/akses/oidc/callback")
        assert login.password(username, OLD_PASSWORD).code, username

    writes = admin_api.writes_made
    again = Importer(admin_api, "akses", out=lambda _l: None).run(read_rows(csv_path))
    assert (again.imported, again.unchanged, again.rejected) == (0, 2, 3)
    assert admin_api.writes_made == writes

    # A run that died between the account and its role, or one from before the groups:
    # the next run gives what is missing, or the member would skip the email step for good.
    role = admin_api.get("/akses/roles/legacy-member")
    admin_api.delete(f"/akses/users/{user['id']}/role-mappings/realm", [role])
    group = admin_api.get(f"/akses/users/{user['id']}/groups")[0]
    admin_api.delete(f"/akses/users/{user['id']}/groups/{group['id']}")
    repaired = Importer(admin_api, "akses", out=lambda _l: None).run(read_rows(csv_path))
    assert (repaired.imported, repaired.unchanged, repaired.rejected) == (1, 1, 3)
    roles = {r["name"] for r in admin_api.get(f"/akses/users/{user['id']}/role-mappings/realm")}
    assert "legacy-member" in roles
    effective = {r["name"] for r in admin_api.get(
        f"/akses/users/{user['id']}/role-mappings/realm/composite")}
    assert "investor" in effective  # through its group again

    # A member who did the email step (A6 set the email, took the role away) stays done:
    # a new run must not send them back, where the password alone could replace the email.
    admin_api.put(f"/akses/users/{user['id']}",
                  {**admin_api.get(f"/akses/users/{user['id']}"),
                   "email": f"{uid_sid.lower()}@example.test"})
    admin_api.delete(f"/akses/users/{user['id']}/role-mappings/realm", [role])
    # ...and one moved to another investor group on purpose stays there.
    investor = admin_api.get(f"/akses/users/{user['id']}/groups")[0]
    admin_api.delete(f"/akses/users/{user['id']}/groups/{investor['id']}")
    wni = next(g for g in admin_api.get("/akses/groups") if g["name"] == "investor-wni")
    admin_api.put(f"/akses/users/{user['id']}/groups/{wni['id']}", {})
    writes = admin_api.writes_made
    done = Importer(admin_api, "akses", out=lambda _l: None).run(read_rows(csv_path))
    assert (done.imported, done.unchanged, done.rejected) == (0, 2, 3)
    assert admin_api.writes_made == writes
    assert [g["name"] for g in admin_api.get(f"/akses/users/{user['id']}/groups")] == [
        "investor-wni"]


def test_a6_import_cli_reports_and_exits_1_on_rejections(
        tmp_path: Path, keycloak: KeycloakServer, provisioned: list[RealmSpec]) -> None:
    csv_path = write_csv(tmp_path / "m.csv", [
        f"cli{uuid.uuid4().hex[:8]},Cli Lama,{unique_nik()},,{old_hash(OLD_PASSWORD)}",
        f"cli{uuid.uuid4().hex[:8]},Cli Salah,,IDX123,{old_hash(OLD_PASSWORD)}",
    ])
    done = subprocess.run(
        [sys.executable, "-m", "gerbang_ops.import_legacy_members", str(csv_path),
         "--realm", "akses", "--url", keycloak.url, "--user", keycloak.admin_user],
        env={"KEYCLOAK_ADMIN_PASSWORD": keycloak.admin_password, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "row 2: imported" in done.stdout
    assert "row 3: rejected: SID" in done.stdout
    assert "imported=1 unchanged=0 rejected=1" in done.stdout
