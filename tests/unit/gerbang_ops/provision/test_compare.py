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
