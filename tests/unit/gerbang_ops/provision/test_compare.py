"""What counts as a difference between realm-config and Keycloak's answer."""

from __future__ import annotations

from gerbang_ops.provision.compare import differences
from gerbang_ops.provision.flows import outline


def test_only_declared_keys_are_compared() -> None:
    assert differences({"verifyEmail": True}, {"verifyEmail": True, "notBefore": 0}) == []


def test_changed_value_is_shown_with_both_sides() -> None:
    assert differences({"failureFactor": 5}, {"failureFactor": 30}) == ["failureFactor: 30 -> 5"]


def test_secrets_differ_without_showing_values() -> None:
    found = differences({"secret": "new-secret"}, {"secret": "old-secret"})
    assert found == ["secret: (differs; value not shown)"]
    assert "secret" not in found[0].split(":", 1)[1].replace("value not shown", "")


def test_masked_secret_from_keycloak_counts_as_equal() -> None:
    assert differences({"smtpServer": {"password": "p"}},
                       {"smtpServer": {"password": "**********"}}) == []


def test_empty_and_missing_are_the_same() -> None:
    assert differences({"smtpServer": {"user": ""}}, {"smtpServer": {}}) == []


def test_plain_lists_compare_as_sets() -> None:
    assert differences({"supportedLocales": ["id", "en"]}, {"supportedLocales": ["en", "id"]}) == []


def test_attribute_added_by_hand_is_drift() -> None:
    declared = {"attributes": [{"name": "nik"}]}
    live = {"attributes": [{"name": "nik"}, {"name": "hobby"}]}
    assert differences(declared, live) == ["attributes: - hobby (not in realm-config)"]


def test_validator_added_by_hand_is_drift() -> None:
    declared = {"attributes": [{"name": "nik", "validations": {"length": {"max": 16}}}]}
    live = {"attributes": [{"name": "nik", "validations": {"length": {"max": 16},
                                                           "email": {}}}]}
    assert differences(declared, live) == [
        "attributes[nik].validations.email: - (not in realm-config)"]


def test_b8_flow_outline_shows_nesting_and_config() -> None:
    flow = [{"authenticator": "auth-cookie", "requirement": "ALTERNATIVE"},
            {"subFlow": "forms", "requirement": "ALTERNATIVE", "executions": [
                {"authenticator": "auth-otp-form", "requirement": "REQUIRED",
                 "config": {"alias": "c", "config": {"k": "v"}}}]}]
    assert outline(flow) == ["auth-cookie ALTERNATIVE", "[forms] ALTERNATIVE",
                             "  auth-otp-form REQUIRED config c [('k', 'v')]"]


def test_issue2_keys_and_objects_holding_secrets_are_never_printed() -> None:
    found = differences({"clientSecret": "baru", "bindCredential": "baru"},
                        {"clientSecret": "lama", "bindCredential": "lama"})
    assert found == ["clientSecret: (differs; value not shown)",
                     "bindCredential: (differs; value not shown)"]
    # Keycloak left the whole object out: the declared one, password inside, is not shown.
    assert differences({"smtpServer": {"host": "smtp", "password": "rahasia"}},
                       {"smtpServer": "x"}) == ["smtpServer: (differs; value not shown)"]


def test_issue2_a_rotated_smtp_password_is_seen_through_its_fingerprint() -> None:
    """Keycloak answers the stored password with a mask: without the fingerprint a new
    SMTP_PASSWORD counted as no change and never reached Keycloak."""
    from gerbang_ops.provision.realm_settings import (
        FINGERPRINT_ATTRIBUTE,
        with_smtp_password_fingerprint,
    )

    declared = {"smtpServer": {"host": "smtp.example.go.id", "auth": "true", "password": "lama"}}
    applied = with_smtp_password_fingerprint("bsre", declared)
    live = {"smtpServer": {"host": "smtp.example.go.id", "auth": "true",
                           "password": "**********"},
            "attributes": {**applied["attributes"], "other": "kept"}}
    assert differences(applied, live) == []
    rotated = with_smtp_password_fingerprint(
        "bsre", {"smtpServer": {"host": "smtp.example.go.id", "auth": "true", "password": "baru"}})
    assert differences(rotated, live) == [
        f"attributes.{FINGERPRINT_ATTRIBUTE}: (differs; value not shown)"]
    assert "lama" not in applied["attributes"][FINGERPRINT_ATTRIBUTE]
    # No password, no fingerprint: nothing to compare, nothing shown.
    assert differences(with_smtp_password_fingerprint("bsre", {"smtpServer": {}}), {}) == []
    # No login to the relay: Keycloak keeps no password, so none is compared (the sidecar's
    # SMTP_PASSWORD must not read as a change on every run).
    sidecar_only = {"smtpServer": {"host": "smtp.example.go.id", "auth": "false",
                                   "password": "lama"}}
    assert differences(with_smtp_password_fingerprint("bsre", sidecar_only),
                       {"smtpServer": {"host": "smtp.example.go.id", "auth": "false"}}) == []
