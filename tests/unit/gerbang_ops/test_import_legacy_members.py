"""A6 importer's row checks (no Keycloak): reasons name the column, never the value."""

from __future__ import annotations

import base64
import hashlib

import pytest

from gerbang_ops.import_legacy_members import Importer, RowRejected, parse_row
from gerbang_ops.provision.keycloak_api import ApiError

SALT = b"0123456789abcdef"
GOOD_HASH = ("pbkdf2-sha256$27500$" + base64.b64encode(SALT).decode() + "$"
             + base64.b64encode(hashlib.pbkdf2_hmac("sha256", b"pw", SALT, 27500, 32)).decode())


def row(**changes: str) -> dict[str, str]:
    return {"user_id": "budi77", "name": "Budi", "nik": "3171015203900001", "sid": "",
            "password_hash": GOOD_HASH, **changes}


def test_a6_valid_row_becomes_a_pbkdf2_credential() -> None:
    member = parse_row(row(sid="idd120390482615"))
    assert member.username == "budi77" and member.sid == "IDD120390482615"
    credential = member.credential()
    assert '"algorithm": "pbkdf2-sha256"' in credential["credentialData"]
    assert '"hashIterations": 27500' in credential["credentialData"]
    assert member.attributes()["legacyUserId"] == ["budi77"]


@pytest.mark.parametrize(("changes", "reason"), [
    ({"user_id": "a b"}, "user_id"),
    ({"user_id": "x@y.z"}, "user_id"),
    ({"name": ""}, "name"),
    ({"nik": "", "sid": ""}, "NIK or a SID"),
    ({"nik": "1234567890123456"}, "NIK"),
    ({"nik": "", "sid": "IDX1"}, "SID"),
    ({"password_hash": "md5$abc"}, "password_hash"),
    ({"password_hash": "pbkdf2-sha256$10$AAAA$AAAA"}, "password_hash"),
    ({"password_hash": GOOD_HASH.replace("$27500$", "$2000000000$")}, "password_hash"),
])
def test_a6_invalid_rows_are_rejected_with_reason(changes: dict[str, str], reason: str) -> None:
    with pytest.raises(RowRejected) as refused:
        parse_row(row(**changes))
    assert reason in str(refused.value)
    for value in changes.values():
        if len(value) > 5:
            assert value not in str(refused.value)


class RefusingKeycloak:
    """Keycloak that finds nobody and refuses to store one particular name (400)."""

    writes_made = 0

    def get(self, path: str, **_params: str) -> list[dict[str, str]]:
        return []

    def post(self, path: str, body: dict) -> None:
        if body.get("firstName") == "Nama (Tak Boleh)":
            raise ApiError("Keycloak answered 400 to POST /akses/users: error-invalid-value "
                           "Nama (Tak Boleh)", 400)
        if body.get("firstName") == "Tanpa Hak":
            raise ApiError("Keycloak answered 403 to POST /akses/users", 403)
        raise ApiError("Keycloak answered 503 to POST /akses/users", 503)


def test_a6_a_row_keycloak_refuses_is_rejected_alone_and_its_value_not_repeated() -> None:
    lines: list[str] = []
    importer = Importer(RefusingKeycloak(), "akses", out=lines.append)  # type: ignore[arg-type]
    report = importer.run([row(name="Nama (Tak Boleh)")])
    assert (report.imported, report.rejected) == (0, 1)
    assert "Keycloak refused the account (400)" in lines[0]
    assert "Tak Boleh" not in "\n".join(lines)
    # Keycloak unable to answer, or the run without the rights: not the row's fault. The
    # run stops with one error rather than rejecting every row.
    for name in ("Budi", "Tanpa Hak"):
        with pytest.raises(ApiError):
            importer.run([row(name=name)])
