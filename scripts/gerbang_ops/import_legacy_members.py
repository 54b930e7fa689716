"""Import members of the previous AKSes version into Keycloak (A6).

Usage::

    KEYCLOAK_ADMIN_PASSWORD=... python -m gerbang_ops.import_legacy_members members.csv \\
        --realm akses [--url http://127.0.0.1:8080] [--user admin]

CSV (UTF-8, comma-separated, header row required, one member per row)::

    user_id,name,nik,sid,password_hash
    budi77,Budi Santoso,3273051707850002,,pbkdf2-sha256$27500$<salt b64>$<hash b64>

* ``user_id``  the old AKSes User ID: 3-64 letters, digits, ``.``, ``_`` or ``-``; it becomes
  the Keycloak username (Keycloak keeps usernames in lower case) and attribute ``legacyUserId``.
* ``name``     full name (``firstName``).
* ``nik`` / ``sid``  at least one of them; each is checked by the sidecar's identifier rules.
* ``password_hash``  the old system's PBKDF2-HMAC-SHA256 hash as
  ``pbkdf2-sha256$<iterations>$<base64 salt>$<base64 derived key>`` (the derived key's length
  sets the key size Keycloak checks with). Keycloak imports it as a ``pbkdf2-sha256``
  credential, so members keep their password; on their first login Keycloak re-hashes it
  under the realm's policy.

No email is imported (members have none): accounts get ``emailVerified=true`` so the realm's
``verifyEmail`` does not stop a login without an address, and role ``legacy-member``, which
sends them to the sidecar's ``/akses/daftarkan-email`` before Beranda.

Idempotent: a row whose User ID was imported before is reported ``unchanged`` and nothing is
written (not the password either: the member may have changed it since). Invalid rows are
rejected with the reason and the others go on. Output never shows an identifier in full.

Exit status: 0 every row imported or unchanged, 1 some rows rejected, 2 the file or
Keycloak could not be used at all.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import csv
import json
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gerbang_ops.provision.changes import seg
from gerbang_ops.provision.keycloak_api import ApiError, KeycloakApi
from gerbang_sidecar.domain.akses.accounts import GROUP_ROLES
from gerbang_sidecar.domain.identifiers import IdentifierError, parse_nik, parse_sid
from gerbang_sidecar.logging_setup import configure_logging
from gerbang_sidecar.texts import message

LEGACY_ROLE = "legacy-member"
# Keycloak's answers that are one row's fault; any other stops the run.
ROW_REFUSALS = (400, 409, 422)
COLUMNS = ("user_id", "name", "nik", "sid", "password_hash")
_USER_ID = re.compile(r"[A-Za-z0-9._-]{3,64}")
_HASH_PREFIX = "pbkdf2-sha256"
_MIN_ITERATIONS = 1000
# Keycloak runs the stored count at every login of that user: a hostile row with billions
# would make each try of its username burn Keycloak's CPU.
_MAX_ITERATIONS = 10_000_000
EXIT_OK, EXIT_REJECTED, EXIT_ERROR = 0, 1, 2


class RowRejected(ValueError):
    """A row that cannot be imported; the message is safe to print (no identifier)."""


class MissingGroup(RuntimeError):
    """The realm lacks a group of A1/A8: the run's fault (not provisioned), not a row's."""


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    nik: str | None
    sid: str | None
    iterations: int
    salt_b64: str
    hash_b64: str

    @property
    def username(self) -> str:
        return self.user_id.lower()

    @property
    def group(self) -> str:
        """A1/A8 as registration decides them (domain/akses/accounts.py): a NIK is a local
        individual's, eASY comes with a SID; a SID alone is an investor of another kind."""
        if self.nik:
            return "investor-wni" if self.sid else "registered-user"
        return "investor"

    def attributes(self) -> dict[str, list[str]]:
        values = {"legacyUserId": self.user_id, "nik": self.nik, "sid": self.sid,
                  "investorType": "individu-lokal" if self.nik else None}
        return {k: [v] for k, v in values.items() if v}

    def credential(self) -> dict[str, object]:
        return {
            "type": "password",
            "credentialData": json.dumps({"hashIterations": self.iterations,
                                          "algorithm": _HASH_PREFIX, "additionalParameters": {}}),
            "secretData": json.dumps({"value": self.hash_b64, "salt": self.salt_b64,
                                      "additionalParameters": {}}),
        }


def mask(value: str, visible: int = 2) -> str:
    """bu***: the start of a User ID; identifiers show their last 4 (see mask_tail)."""
    return value[:visible] + "***" if len(value) > visible else "***"


def mask_tail(value: str) -> str:
    return "*" * max(0, len(value) - 4) + value[-4:]


def parse_row(row: dict[str, str | None]) -> Member:
    """Check one CSV row; RowRejected names the column and the rule, never the value."""
    get = {k: (row.get(k) or "").strip() for k in COLUMNS}
    if not _USER_ID.fullmatch(get["user_id"]):
        raise RowRejected("user_id must be 3-64 letters, digits, '.', '_' or '-'")
    if not get["name"] or len(get["name"]) > 255:
        raise RowRejected("name is empty or longer than 255 characters")
    if not get["nik"] and not get["sid"]:
        raise RowRejected("needs a NIK or a SID")
    try:
        nik = parse_nik(get["nik"]).value if get["nik"] else None
        sid = parse_sid(get["sid"]).value if get["sid"] else None
    except IdentifierError as error:
        raise RowRejected(f"{error.field.upper()}: {message(error, 'en')}") from None
    iterations, salt, derived = _parse_hash(get["password_hash"])
    return Member(get["user_id"], get["name"], nik, sid, iterations, salt, derived)


def _parse_hash(text: str) -> tuple[int, str, str]:
    parts = text.split("$")
    if len(parts) != 4 or parts[0] != _HASH_PREFIX:
        raise RowRejected(f"password_hash must be {_HASH_PREFIX}$<iterations>$<salt>$<hash>")
    try:
        iterations = int(parts[1])
        salt = base64.b64decode(parts[2], validate=True)
        derived = base64.b64decode(parts[3], validate=True)
    except (ValueError, binascii.Error):
        raise RowRejected("password_hash has a bad iteration count or base64") from None
    if iterations < _MIN_ITERATIONS or not salt or len(derived) < 16:
        raise RowRejected("password_hash is too weak or truncated")
    if iterations > _MAX_ITERATIONS:
        raise RowRejected(f"password_hash has more than {_MAX_ITERATIONS:,} iterations")
    # Keycloak wants standard base64 with padding; re-encode what we decoded.
    return iterations, base64.b64encode(salt).decode(), base64.b64encode(derived).decode()


@dataclass
class Report:
    imported: int = 0
    unchanged: int = 0
    rejected: int = 0
    lines: list[str] = field(default_factory=list)


class Importer:
    def __init__(self, api: KeycloakApi, realm: str, out: Callable[[str], None] = print):
        self.api = api
        self.realm = seg(realm)
        self.out = out
        self._role: dict | None = None
        self._group_ids: dict[str, str] = {}

    def run(self, rows: Iterable[dict[str, str | None]]) -> Report:
        report = Report()
        seen: set[str] = set()
        for number, row in enumerate(rows, start=2):  # row 1 is the header
            label = f"row {number}"
            try:
                member = parse_row(row)
                if member.username in seen:
                    raise RowRejected("user_id appears twice in the file")
                seen.add(member.username)
                outcome = self._import(member)
            except RowRejected as reason:
                report.rejected += 1
                self._say(report, f"{label}: rejected: {reason}")
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
            self._say(report, f"{label}: {outcome} (user {mask(member.user_id)})")
        self._say(report, f"imported={report.imported} unchanged={report.unchanged} "
                          f"rejected={report.rejected}")
        return report

    def _say(self, report: Report, line: str) -> None:
        report.lines.append(line)
        self.out(line)

    def _import(self, member: Member) -> str:
        try:
            return self._import_or_refuse(member)
        except ApiError as exc:
            # The row's own fault (a value Keycloak will not store, a clash): the others go
            # on, and only the status is said (Keycloak's message may quote the row). A
            # 401/403/404 is the run's (rights, a realm without the role): it stops.
            if exc.status in ROW_REFUSALS:
                raise RowRejected(f"Keycloak refused the account ({exc.status})") from None
            raise

    def _import_or_refuse(self, member: Member) -> str:
        existing = self.api.get(f"/{self.realm}/users", username=member.username, exact="true")
        if existing:
            legacy = (existing[0].get("attributes") or {}).get("legacyUserId") or []
            if member.user_id not in legacy:
                raise RowRejected("user_id is already the username of another account")
            return self._repaired(existing[0], member)
        for kind, value in (("nik", member.nik), ("sid", member.sid)):
            if value and self.api.get(f"/{self.realm}/users", q=f"{kind}:{value}",
                                      briefRepresentation="true", max=1):
                raise RowRejected(f"{kind.upper()} {mask_tail(value)} already belongs to "
                                  "another account")
        self.api.post(f"/{self.realm}/users", {
            "username": member.username, "firstName": member.name, "enabled": True,
            "groups": [member.group],
            # No email yet: "verified" so the realm's verifyEmail lets the member log in and
            # reach the sidecar's email page (A6), which sets and proves a real address.
            "emailVerified": True,
            "attributes": member.attributes(), "credentials": [member.credential()],
        })
        user = self.api.get(f"/{self.realm}/users", username=member.username, exact="true")[0]
        try:
            self.api.post(f"/{self.realm}/users/{seg(user['id'])}/role-mappings/realm",
                          [self._legacy_role()])
        except ApiError:
            # Without the role the member would skip the email step: leave nothing behind.
            self.api.delete(f"/{self.realm}/users/{seg(user['id'])}")
            raise
        return "imported"

    def _repaired(self, user: dict, member: Member) -> str:
        """What an earlier run left out, given now: its group (runs before A8's groups were
        given) and, while the member has not done the email step, the role -- a run that
        died between the account and its role would let the member skip that step. A
        member who did it (an email: A6 sets it and takes the role away) is never sent
        back, where the password alone could replace a proven email."""
        user_path = f"/{self.realm}/users/{seg(user['id'])}"
        changed = False
        groups = {g["name"] for g in self.api.get(f"{user_path}/groups")}
        if not groups & set(GROUP_ROLES):  # in one already: perhaps moved there on purpose
            self.api.put(f"{user_path}/groups/{seg(self._group_id(member.group))}", {})
            changed = True
        if not user.get("email"):
            held = self.api.get(f"{user_path}/role-mappings/realm")
            if not any(role["name"] == LEGACY_ROLE for role in held):
                self.api.post(f"{user_path}/role-mappings/realm", [self._legacy_role()])
                changed = True
        return "imported" if changed else "unchanged"

    def _group_id(self, name: str) -> str:
        if name not in self._group_ids:
            found = [g for g in self.api.get(f"/{self.realm}/groups", search=name,
                                             exact="true") if g["name"] == name]
            if not found:
                raise MissingGroup(f"realm {self.realm} has no group {name}: provision it")
            self._group_ids[name] = str(found[0]["id"])
        return self._group_ids[name]

    def _legacy_role(self) -> dict:
        if self._role is None:
            self._role = self.api.get(f"/{self.realm}/roles/{seg(LEGACY_ROLE)}")
        return self._role


def read_rows(path: Path) -> list[dict[str, str | None]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"the header lacks column(s) {', '.join(missing)}; "
                             f"expected {','.join(COLUMNS)}")
        return list(reader)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gerbang_ops.import_legacy_members",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path, help="the export of the previous AKSes version")
    parser.add_argument("--realm", default="akses")
    parser.add_argument("--url", default=os.environ.get("KEYCLOAK_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--user", default=os.environ.get("KEYCLOAK_ADMIN_USER", "admin"))
    parser.add_argument("--password-env", default="KEYCLOAK_ADMIN_PASSWORD",
                        help="environment variable holding the admin password")
    args = parser.parse_args(argv)
    # Library warnings (urllib3's retries quote the URL, whose query holds a NIK or SID)
    # go through the sidecar's redacting handler (X3).
    configure_logging("WARNING")
    password = os.environ.get(args.password_env)
    if not password:
        print(f"error: set {args.password_env} to the Keycloak admin password", file=sys.stderr)
        return EXIT_ERROR
    try:
        rows = read_rows(args.csv)
        report = Importer(KeycloakApi(args.url, args.user, password), args.realm).run(rows)
    except (OSError, ValueError, csv.Error) as exc:
        print(f"error: cannot read {args.csv}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (ApiError, MissingGroup) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_REJECTED if report.rejected else EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
