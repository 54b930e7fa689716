"""Fake distributions have digests of their own: each test pins them, as a version bump
pins the real archive's SHA-256 (gerbang_ops/keycloak/__init__.py)."""

from __future__ import annotations

import pytest

from gerbang_ops.keycloak import distribution


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    digests: dict[str, str] = {}
    monkeypatch.setattr(distribution, "ARCHIVE_SHA256", digests)
    return digests
