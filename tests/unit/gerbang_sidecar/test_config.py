"""Settings: read from the environment, validated, and loaded without writing anything (the
local secrets come from ``python -m gerbang_sidecar init``)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gerbang_sidecar.config import (
    SECRET_FIELDS,
    ConfigError,
    documented_variables,
    load_settings,
    write_local_secrets,
)
from gerbang_sidecar.portals import portal_clients

KEYS = {"GERBANG_SECRET_KEY": "s" * 32, "GERBANG_PII_KEY": "p" * 32,
        "GERBANG_BLIND_INDEX_KEY": "b" * 32, "GERBANG_CA_KEK": "c" * 32}


def test_settings_read_portal_secrets_public_url_and_flags(tmp_path: Path) -> None:
    settings = load_settings({
        **KEYS, "GERBANG_INSTANCE_PATH": str(tmp_path), "AKSES_PORTAL_CLIENT_SECRET": "a",
        "EASY_CLIENT_SECRET": "e", "KEYCLOAK_URL": "http://kc:8080",
        "RATE_LIMITS_ENABLED": "false", "TRUSTED_PROXIES": "10.0.0.0/8", "OUTBOX_IN_PROCESS": "yes",
        "MAIL_BACKEND": "null"})
    assert settings.portal_client_secrets == {"akses-portal": "a", "easy": "e"}
    assert settings.keycloak_browser_url == "http://kc:8080"
    assert settings.rate_limits_enabled is False and settings.trusted_proxies == "10.0.0.0/8"
    assert settings.outbox_in_process is True and settings.mail_backend == "null"
    names = set(documented_variables().values())
    assert {"KEYCLOAK_PUBLIC_URL", "THEMES_DIR", "EASY_CLIENT_SECRET", "RATE_LIMITS_ENABLED",
            "KEYCLOAK_BACKEND", "OUTBOX_IN_PROCESS"} <= names
    assert {c.secret_variable for c in portal_clients()} <= names


def test_loading_settings_writes_nothing(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    with pytest.raises(ConfigError, match="python -m gerbang_sidecar init"):
        load_settings({"GERBANG_INSTANCE_PATH": str(instance)})
    assert not instance.exists()


def test_local_secrets_are_written_once_and_private(tmp_path: Path) -> None:
    assert sorted(write_local_secrets(tmp_path)) == sorted(SECRET_FIELDS)
    first = load_settings({"GERBANG_INSTANCE_PATH": str(tmp_path)})
    assert write_local_secrets(tmp_path) == []
    again = load_settings({"GERBANG_INSTANCE_PATH": str(tmp_path)})
    assert (first.secret_key, first.pii_key) == (again.secret_key, again.pii_key)
    for name in SECRET_FIELDS:
        assert stat.S_IMODE((tmp_path / f"{name}.secret").stat().st_mode) == 0o600


def test_production_takes_no_local_secret(tmp_path: Path) -> None:
    write_local_secrets(tmp_path)
    with pytest.raises(ConfigError, match="GERBANG_SECRET_KEY must be set in production"):
        load_settings({"GERBANG_ENV": "production", "GERBANG_INSTANCE_PATH": str(tmp_path),
                       "DATABASE_URL": "postgresql+psycopg://db/gerbang",
                       "SIDECAR_PUBLIC_URL": "https://portal.example.go.id"})


@pytest.mark.parametrize(("variable", "value"), [("KEYCLOAK_BACKEND", "ldap"),
                                                  ("MAIL_BACKEND", "carrier-pigeon"),
                                                  ("SMTP_PORT", "twenty-five"),
                                                  ("RATE_LIMITS_ENABLED", "maybe")])
def test_malformed_settings_are_refused_by_name(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings({**KEYS, variable: value})


PRODUCTION = {**KEYS, "GERBANG_ENV": "production",
              "DATABASE_URL": "postgresql+psycopg://db/gerbang",
              "SIDECAR_PUBLIC_URL": "https://portal.example.go.id",
              **{f"{name}_URL": f"https://registry.example.go.id/{name.lower()}"
                 for name in ("DUKCAPIL", "OSS", "KSEI", "BKN", "SIPP", "MESSAGE_GATEWAY")},
              "SMTP_HOST": "smtp.example.go.id", "SMTP_STARTTLS": "true"}


def test_x3_production_sends_identifiers_over_tls_only() -> None:
    assert load_settings(PRODUCTION).registries.dukcapil.startswith("https://")
    with pytest.raises(ConfigError, match="DUKCAPIL_URL must be an https:// URL"):
        load_settings({**PRODUCTION, "DUKCAPIL_URL": "http://registry.example.go.id/dukcapil"})
    with pytest.raises(ConfigError, match="SMTP_STARTTLS must be true in production"):
        load_settings({**PRODUCTION, "SMTP_STARTTLS": "false"})


@pytest.mark.parametrize("overrides", [
    {"DUKCAPIL_URL": "http://127.0.0.1:8090/dukcapil", "SMTP_HOST": "localhost",
     "SMTP_STARTTLS": "false"},
    {"DUKCAPIL_URL": "http://[::1]:8090/dukcapil"},
    {"DUKCAPIL_URL": "http://fake-registry:8090/dukcapil", "SMTP_HOST": "mailpit",
     "SMTP_STARTTLS": "false", "ALLOW_PLAINTEXT_OUTBOUND": "true"},
    {"REGISTRY_BACKEND": "fake", "MAIL_BACKEND": "null", "DUKCAPIL_URL": "http://x/d",
     "SMTP_STARTTLS": "false"},
], ids=["loopback", "loopback-v6", "staging", "no-outside-systems"])
def test_x3_plaintext_only_to_this_machine_or_when_staging_says_so(
        overrides: dict[str, str]) -> None:
    load_settings({**PRODUCTION, **overrides})


def test_x3_a_look_alike_loopback_name_is_not_loopback() -> None:
    with pytest.raises(ConfigError, match="OSS_URL"):
        load_settings({**PRODUCTION, "OSS_URL": "http://127.0.0.1.example.com/oss"})


@pytest.mark.parametrize("public_url", ["", "http://portal.example.go.id", "https://"])
def test_x3_production_mails_links_only_to_its_https_address(public_url: str) -> None:
    """Every mailed link (and, without PKI_PUBLIC_URL, every certificate address) is built
    on it: unset, they pointed at 127.0.0.1; plain http, at whoever is on the path (a review
    of the mails)."""
    with pytest.raises(ConfigError, match="SIDECAR_PUBLIC_URL must be set"):
        load_settings({**PRODUCTION, "SIDECAR_PUBLIC_URL": public_url})
    local = load_settings({**PRODUCTION, "SIDECAR_PUBLIC_URL": "http://127.0.0.1:8443"})
    assert local.public_url == "http://127.0.0.1:8443"  # the cluster tests' loopback
    assert load_settings({**KEYS}).public_url == "http://127.0.0.1:5000"  # a local run


def test_x6_certificates_name_the_pki_address_plain_http_allowed() -> None:
    """Relying parties fetch a certificate's CRL and ask its OCSP responder over http (RFC
    5280 4.2.1.13, 4.2.2.1): production takes an http:// PKI_PUBLIC_URL beside its https://
    portal address; without one, certificates name the portal address."""
    production = {**PRODUCTION, "SIDECAR_PUBLIC_URL": "https://portal.example.go.id"}
    assert load_settings(production).publication_url == "https://portal.example.go.id"
    pki = load_settings({**production, "PKI_PUBLIC_URL": "http://portal.example.go.id"})
    assert pki.publication_url == "http://portal.example.go.id"
    assert pki.public_url == "https://portal.example.go.id"  # links stay https
    assert load_settings({**KEYS}).publication_url == "http://127.0.0.1:5000"  # a local run
    # Written into certificates that live two years: the origin alone, in every environment.
    assert load_settings({**KEYS, "PKI_PUBLIC_URL": "http://PKI.Example.go.id:8080/"}
                         ).publication_url == "http://pki.example.go.id:8080"
    assert load_settings({**KEYS, "PKI_PUBLIC_URL": "http://[::1]:5000"}
                         ).publication_url == "http://[::1]:5000"
    for wrong in ("portal.example.go.id", "http://", "ftp://portal.example.go.id",
                  "http://portal.example.go.id/pki", "http://portal.example.go.id/?x=1",
                  "http://portal.example.go.id?", "http://portal.example.go.id#x",
                  "http://user:pw@portal.example.go.id", "http://portal example.go.id",
                  "http://portal.example.go.id;x", " http://portal.example.go.id",
                  "http://portal.example.go.id:port", "http://[::1", "http://-x.go.id"):
        with pytest.raises(ConfigError, match="PKI_PUBLIC_URL must be an http://"):
            load_settings({**production, "PKI_PUBLIC_URL": wrong})
        with pytest.raises(ConfigError, match="PKI_PUBLIC_URL must be an http://"):
            load_settings({**KEYS, "PKI_PUBLIC_URL": wrong})


@pytest.mark.parametrize("variable", ["GERBANG_SECRET_KEY", "GERBANG_PII_KEY",
                                      "GERBANG_BLIND_INDEX_KEY", "GERBANG_CA_KEK"])
def test_rule4_production_keys_are_long_enough_to_be_random(variable: str) -> None:
    """The CA's keys are PKCS#8 under the KEK at PBKDF2's 2,048 rounds (cryptography's
    BestAvailableEncryption): a guessable KEK and a database dump would open them."""
    with pytest.raises(ConfigError, match=f"{variable} must be at least 32"):
        load_settings({**PRODUCTION, variable: "rahasia-kita"})
