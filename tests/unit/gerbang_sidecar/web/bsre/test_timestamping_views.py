"""X7's time-stamping authority at ``/pki/tsa`` (RFC 3161 3.4) and X2's ceiling on it: every
client has its own limit, and everyone together shares the tokens granted -- requests the
TSA refuses (the wrong type, garbage) cost no signature and spend nothing of what real
clients share."""
# Fixtures imported from support/ca_fixtures.py read as redefinitions where tests take them.
# ruff: noqa: F811

from __future__ import annotations

import hashlib

import pytest
from asn1crypto import tsp
from flask import Flask
from flask.testing import FlaskClient

from gerbang_sidecar.web.bsre.timestamping import _status
from support.ca_fixtures import (  # noqa: F401 - fixtures of every test with a CA
    KEK,
    authority,
    clock,
    material,
    settings_overrides,
)

QUERY = {"Content-Type": "application/timestamp-query"}


@pytest.fixture
def anyone(app: Flask, authority: None) -> FlaskClient:
    return app.test_client()


def _query(document: bytes) -> bytes:
    return tsp.TimeStampReq({
        "version": "v1", "cert_req": True,
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                            "hashed_message": hashlib.sha256(document).digest()}}).dump()


def test_x2_junk_from_many_addresses_spends_nothing_of_the_tsa_ceiling(
        anyone: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gerbang_sidecar.web.bsre.timestamping.CEILING", 3)
    for n in range(20):
        address = {"REMOTE_ADDR": f"198.51.100.{n}"}
        assert anyone.post("/pki/tsa", data=b"x", headers={"Content-Type": "text/plain"},
                           environ_base=address).status_code == 400
        refused = anyone.post("/pki/tsa", data=b"\x30\x03abc", headers=QUERY,
                              environ_base=address)
        assert refused.status_code == 200 and _status(refused.data) == "rejection"
    granted = [anyone.post("/pki/tsa", data=_query(f"doc {n}".encode()), headers=QUERY,
                           environ_base={"REMOTE_ADDR": f"203.0.113.{n}"})
               for n in range(4)]
    assert [_status(r.data) for r in granted[:3]] == ["granted"] * 3
    assert granted[3].status_code == 429  # the ceiling: three tokens for everyone
