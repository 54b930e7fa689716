"""One text catalog (C5): every sentence a user reads is a key of texts/, in Indonesian and
English alike; the code and the templates only name keys, and each key they name exists."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

import gerbang_sidecar
from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.texts import SUPPORTED, catalog, message, normalise, translate

PACKAGE = Path(gerbang_sidecar.__file__).resolve().parent
# B23 "Aktivitas": every event Keycloak stores, and every audit event about a BSrE user.
KEYCLOAK_EVENTS = tuple(json.loads(
    (Path(__file__).resolve().parents[3] / "realm-config/_common/realm.json").read_text()
)["enabledEventTypes"])
BSRE_AUDIT_EVENTS = (
    "account_data.downloaded", "login_failure.notice_queued", "bsre.account.disabled",
    *(f"bsre.certificate.{e}" for e in (
        "issue_requested", "renew_requested", "reset_requested", "issued", "renewed",
        "rekeyed", "revoked", "expired", "signed", "passphrase_wrong", "passphrase_changed",
        "passphrase_change_invited")),
    *(f"bsre.identity_check.{e}" for e in ("sent", "passed", "failed")),
    "bsre.otp_device.removed", "bsre.otp_link.sent",
    *(f"bsre.profile_change.{e}" for e in ("requested", "approved", "rejected", "proposed",
                                           "confirmed", "refused")),
    "bsre.registration.activated", "bsre.registration.activation_email_sent",
    *(f"bsre.reset_authenticator.{e}" for e in ("requested", "approved", "rejected")))
# Keys the code builds from parts at run time, with the parts they take.
COMPOSED = {
    "reg.type.": ("individu-lokal", "individu-asing", "institusi"),
    "lang.": SUPPORTED,
    "oss.reg.type.": ("ktp", "paspor"),
    "oss.home.identifier.": ("ktp", "paspor"),
    "recovery.identifier.": ("akses", "oss", "insw", "akses.help", "oss.help", "insw.help"),
    "insw.reg.step.": ("1", "2", "3"),
    "bsre.activation.step.": ("1", "2", "3"),
    "bsre.state.": ("sent", "expired", "in_review", "active", "rejected"),
    "bsre.status.": ("asn-polri", "lainnya"),
    "mail.otp_removed.reason.": ("reconciler", "permohonan_otp", "cap", "by_owner"),
    "mail.otp_removed.advice.": ("added", "by_owner"),
    "mail.admin_change.": ("credential", "password", "otp_device"),
    "bsre.accounts.doc.": ("formulir", "antivirus", "email_password"),
    "cert.status.": ("issued", "renewed", "revoked", "expired"),
    "cert.type.": ("esign", "eseal", "tls"),
    "cert.kind.": ("issue", "renew", "revoke", "reset"),
    "cert.refused.": ("disabled", "unverified", "pending_change", "not_issued",
                      "officer_only", "not_available", "already_issued"),
    "cert.usage.": ("digital_signature", "content_commitment", "key_encipherment",
                    "key_cert_sign", "crl_sign"),
    "cert.officer.new_notice.": ("esign", "eseal"),
    "cert.sign.refused.": ("not_issued", "expired", "locked", "disabled", "pending_change"),
    "cert.reason.": ("key_compromise", "affiliation_changed", "superseded",
                     "cessation_of_operation", "unspecified"),
    "cert.detail.": ("replaced",),
    "bsre.change.field.": ("email", "jabatan", "unit_organisasi", "phone", "nip"),
    "mail.profile_change.": tuple(f"{o}.{p}" for o in ("approved", "rejected")
                                  for p in ("subject", "body")),
    "bsre.guides.": tuple(f"{n}.{part}" for n in (1, 2, 3, 4) for part in ("title", "text")),
    "verify.state.": ("valid", "revoked", "expired", "not_yet_valid", "unknown_time"),
    "verify.signing_time_source.": ("timestamp", "claimed"),
    "activity.": (*KEYCLOAK_EVENTS, *BSRE_AUDIT_EVENTS, "other"),
    # Keycloak's error codes of a failed login or account action (org.keycloak.events.Errors).
    "activity.error.": ("invalid_user_credentials", "user_not_found", "user_disabled",
                        "user_temporarily_disabled", "invalid_code", "expired_code",
                        "invalid_token", "session_expired", "password_rejected", "other"),
}


def test_c5_both_languages_hold_the_same_keys() -> None:
    assert catalog("id").keys() == catalog("en").keys()
    assert len(catalog("id")) > 200


def test_c5_both_languages_have_the_same_placeholders() -> None:
    for key, text in catalog("id").items():
        assert set(re.findall(r"{(\w+)}", text)) == set(
            re.findall(r"{(\w+)}", catalog("en")[key])), key


def test_c5_translate_formats_and_falls_back_to_the_key() -> None:
    assert translate("helpdesk.lead", "en", name="OSS") == "Need help? Contact OSS."
    assert translate("helpdesk.lead", "en-GB", name="OSS") == "Need help? Contact OSS."
    assert translate("helpdesk.lead", "fr", name="OSS") == "Butuh bantuan? Hubungi OSS."
    assert translate("no.such.key", "en") == "no.such.key"


def test_c5_normalise_accepts_region_variants_only_for_supported_languages() -> None:
    assert normalise("en-US") == "en"
    assert normalise("ID") == "id"
    assert normalise("fr") is None
    assert normalise("") is None


def test_x5_a_rule_error_becomes_a_sentence_naming_its_field() -> None:
    error = IdentifierError("nik.required", key="field.required", label="nik")
    assert message(error, "id") == "NIK wajib diisi."
    assert message(error, "en") == "NIK is required."
    moved = IdentifierError("person_name.title").on_field("name")
    assert moved.code == "name.title"
    assert message(moved, "id").startswith("Tulis Nama Lengkap tanpa gelar")


def _python_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "fake_registry" not in p.parts)


def _error_keys() -> set[str]:
    """Every catalog key an identifier rule can name: ``error.<key or code>``."""
    keys: set[str] = set()
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        fields = {t.id: c.args[0].value for node in ast.walk(tree)
                  if isinstance(node, ast.Assign) and isinstance(c := node.value, ast.Call)
                  and getattr(c.func, "id", None) == "Field" and c.args
                  and isinstance(c.args[0], ast.Constant)
                  for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            key = next((k.value.value for k in node.keywords
                        if k.arg == "key" and isinstance(k.value, ast.Constant)), None)
            first = node.args[0]
            if name == "IdentifierError" and isinstance(first, ast.Constant):
                keys.add(key or first.value)
            elif (name == "error" and isinstance(first, ast.Constant)
                  and isinstance(node.func, ast.Attribute)):
                owner = getattr(node.func.value, "id", None)
                if key is not None:
                    keys.add(key)
                elif owner in fields:
                    keys.add(f"{fields[owner]}.{first.value}")
    return {f"error.{k}" for k in keys}


def test_c5_every_rule_error_has_a_sentence_in_the_catalog() -> None:
    keys = _error_keys()
    assert len(keys) > 50
    assert sorted(keys - catalog("id").keys()) == []


def test_c5_every_field_label_a_rule_names_is_in_the_catalog() -> None:
    fields = {m for path in _python_files()
              for m in re.findall(r'\bField\("([a-z_]+)"\)', path.read_text(encoding="utf-8"))}
    assert fields
    assert sorted(f"label.{f}" for f in fields if f"label.{f}" not in catalog("id")) == []


_TEMPLATE_KEY = re.compile(r"""\bt\(\s*'([a-z0-9_.-]+)'""")
_KEY_SHAPE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_-]+)+")
# The code that names texts by key: the pages, and the mails and SMS the outbox writes.
_CODE_NAMING_KEYS = ("web", "services/notifications.py")


def _keys_named_in_code() -> set[str]:
    """String constants shaped like a key and in a namespace of the catalog (endpoint names,
    outbox kinds and audit event types have namespaces of their own)."""
    namespaces = {key.split(".", 1)[0] for key in catalog("id")}
    found = set()
    for place in _CODE_NAMING_KEYS:
        root = PACKAGE / place
        for path in [root] if root.is_file() else sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                        and _KEY_SHAPE.fullmatch(node.value) \
                        and node.value.split(".", 1)[0] in namespaces \
                        and not node.value.endswith(".html"):
                    found.add(node.value)
    return found


def _keys_named_in_templates() -> set[str]:
    return {key for path in (PACKAGE / "web" / "templates").rglob("*.html")
            for key in _TEMPLATE_KEY.findall(path.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("where", ["templates", "code"])
def test_c5_every_key_the_pages_name_exists(where: str) -> None:
    named = _keys_named_in_templates() if where == "templates" else _keys_named_in_code()
    assert len(named) > 20
    missing = sorted(k for k in named if k not in catalog("id") and k not in COMPOSED)
    assert missing == []


def test_c5_composed_keys_exist() -> None:
    for prefix, parts in COMPOSED.items():
        for part in parts:
            assert f"{prefix}{part}" in catalog("id")
