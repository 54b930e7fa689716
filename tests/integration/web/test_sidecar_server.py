"""The session's sidecar answers over real HTTP with every outside system reachable."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.keycloak


def test_sidecar_readiness_reports_every_dependency_up(sidecar_server: str) -> None:
    answer = requests.get(f"{sidecar_server}/internal/ready", timeout=10)
    assert answer.status_code == 200
    assert answer.json()["status"] == "up", answer.json()
    assert requests.get(f"{sidecar_server}/health", timeout=10).json() == {"status": "up"}
