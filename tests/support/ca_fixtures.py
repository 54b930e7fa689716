"""Fixtures of the tests whose app has a certificate authority (issue 12): the hierarchy is
made once per module, stored when a test asks for ``authority``; the clock runs at today's
time, because certificates issued under a clock of 2025 would predate the CA. A test module
imports these names to use them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from gerbang_sidecar.adapters.ca.hierarchy import CaMaterial, create_hierarchy
from gerbang_sidecar.wiring import Services
from support.clock import FakeClock

KEK = "a-test-key-encryption-key-of-the-ca"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture(scope="module")
def material() -> CaMaterial:
    return create_hierarchy(KEK.encode(), now=datetime.now(UTC))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"ca_key": KEK}


@pytest.fixture
def authority(services: Services, material: CaMaterial) -> Iterator[None]:
    with services.storage.transaction() as tx:
        tx.certificates.add_authority(
            root_certificate=material.root_certificate, root_key=material.root_key,
            issuing_certificate=material.issuing_certificate,
            issuing_key=material.issuing_key,
            responder_certificate=material.responder_certificate,
            responder_key=material.responder_key, now=services.clock())
    yield
