"""Rule 4 (least privilege): each realm's gerbang-sidecar secret is its own."""

from __future__ import annotations

import pytest

from gerbang_sidecar.adapters.keycloak.realm_secrets import realm_client_secret

REALMS = ("akses", "bsre", "insw", "oss")


def test_rule4_every_realm_gets_a_different_secret_that_is_not_the_sidecar_s() -> None:
    secrets = {realm_client_secret("sidecar-secret", realm) for realm in REALMS}
    assert len(secrets) == len(REALMS)
    assert "sidecar-secret" not in secrets
    assert all(len(s) == 43 and s.isascii() for s in secrets)


def test_rule4_the_same_secret_and_realm_give_the_same_value_everywhere() -> None:
    """Provisioning and every sidecar replica derive it apart and must agree."""
    assert realm_client_secret("s", "oss") == realm_client_secret("s", "oss")
    assert realm_client_secret("s", "oss") != realm_client_secret("t", "oss")


def test_rule4_no_realm_secret_comes_from_an_empty_sidecar_secret() -> None:
    """An empty one would give a value anybody can compute."""
    with pytest.raises(ValueError, match="SIDECAR_CLIENT_SECRET"):
        realm_client_secret("", "oss")
