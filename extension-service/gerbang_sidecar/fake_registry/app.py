"""The fake registries as one Flask app: Dukcapil, OSS, KSEI, BKN, SIPP and the gateway.

Answers come from the in-memory twins, so the HTTP contract tests and the services' unit
tests see the same people. Input checks are deliberately light (shapes, not checksums).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, request

from gerbang_sidecar.adapters.registries.fakes import FakeRegistries, build_fake_registries
from gerbang_sidecar.adapters.registries.message_gateway import CHANNELS, IDEMPOTENCY_HEADER
from gerbang_sidecar.domain.registry_results import (
    FaceScore,
    Match,
    NoMatch,
    NotFound,
    RegistryResult,
    Unavailable,
)

# Longer than any sane client timeout, so a client that waits this long is the bug.
DEFAULT_HANG_SECONDS = 30.0
REGISTRY_PREFIXES = ("dukcapil", "oss", "ksei", "bkn", "sipp", "gateway")

_NIK = re.compile(r"\d{16}")
_NIB = re.compile(r"\d{13}")
_NPWP = re.compile(r"\d{15,16}")
_NIP = re.compile(r"\d{18}")
_NRP = re.compile(r"\d{8}")
_SID = re.compile(r"[A-Z]{2}[DF][A-Z0-9]{12}")
_PASSPORT = re.compile(r"[A-Z0-9]{6,12}")
_E164 = re.compile(r"\+[1-9]\d{7,14}")

bp = Blueprint("fake_registry", __name__)

Reply = tuple[Response, int]


def create_fake_registry_app(seed_path: str | Path | None = None, *,
                             hang_seconds: float = DEFAULT_HANG_SECONDS) -> Flask:
    app = Flask(__name__)
    app.extensions["fake_registries"] = build_fake_registries(seed_path)
    app.config["FAKE_REGISTRY_HANG_SECONDS"] = hang_seconds
    app.register_blueprint(bp)
    return app


def _fakes() -> FakeRegistries:
    return current_app.extensions["fake_registries"]


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(_error("body_not_json_object", 400))
    return body


def _error(code: str, status: int) -> Response:
    response = jsonify(error=code)
    response.status_code = status
    return response


def _require(body: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        abort(_error(f"invalid_{name}", 400))
    return value


def _answer(result: RegistryResult[Any]) -> Reply:
    match result:
        case Match(data=data):
            return jsonify(result="match", data=asdict(data)), 200
        case NoMatch(mismatched=mismatched):
            return jsonify(result="no_match", mismatched=list(mismatched)), 200
        case NotFound():
            return jsonify(result="not_found"), 404
        case Unavailable(reason=reason):
            return jsonify(error=reason), 503
    raise TypeError(f"not a registry result: {result!r}")


@bp.before_request
def _play_fault() -> Response | None:
    """Misbehave when any string in the JSON body is a marked value from the seed."""
    body = request.get_json(silent=True) if request.method == "POST" else None
    if not isinstance(body, dict):
        return None
    faults = _fakes().faults
    fault = next((faults[v] for v in body.values() if isinstance(v, str) and v in faults), None)
    if fault == "hang":
        time.sleep(current_app.config["FAKE_REGISTRY_HANG_SECONDS"])
    elif fault == "error":
        return _error("internal_error", 500)
    elif fault == "malformed":
        return Response('{"result": "match", "data": {', 200, mimetype="application/json")
    return None


@bp.get("/<any(dukcapil, oss, ksei, bkn, sipp, gateway):registry>/health")
def health(registry: str) -> Reply:
    fake = getattr(_fakes(), "message_gateway" if registry == "gateway" else registry)
    return (jsonify(status="up"), 200) if fake.is_reachable() else (jsonify(status="down"), 503)


@bp.post("/dukcapil/penduduk/verify")
def dukcapil_verify() -> Reply:
    body = _body()
    nik = _require(body, "nik", _NIK)
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        abort(_error("invalid_name", 400))
    raw_date = body.get("birth_date")
    birth_date = None
    if raw_date is not None:
        try:
            birth_date = date.fromisoformat(raw_date)
        except (TypeError, ValueError):
            abort(_error("invalid_birth_date", 400))
    if name is None and birth_date is None:
        abort(_error("name_or_birth_date_required", 400))
    return _answer(_fakes().dukcapil.verify_identity(nik, name=name, birth_date=birth_date))


@bp.post("/dukcapil/face-match")
def dukcapil_face_match() -> Reply:
    body = _body()
    nik = _require(body, "nik", _NIK)
    try:
        selfie = base64.b64decode(body.get("selfie") or "", validate=True)
    except (binascii.Error, TypeError, ValueError):
        selfie = b""
    if not selfie:
        abort(_error("invalid_selfie", 400))
    scored = _fakes().dukcapil.face_score(nik)
    if not isinstance(scored, FaceScore):
        return _answer(scored)
    return jsonify(result="scored", data={"score": scored.score}), 200


@bp.post("/oss/businesses/verify")
def oss_verify() -> Reply:
    body = _body()
    nib = _require(body, "nib", _NIB)
    npwp = body.get("npwp")
    digits = re.sub(r"[.\-\s]", "", npwp) if isinstance(npwp, str) else ""
    if not _NPWP.fullmatch(digits):
        abort(_error("invalid_npwp", 400))
    nik = _require(body, "responsible_nik", _NIK)
    return _answer(_fakes().oss.verify_business(nib, digits, nik))


@bp.post("/ksei/investors/search")
def ksei_search() -> Reply:
    body = _body()
    keys = [k for k in ("nik", "passport", "sid") if k in body]
    if len(keys) != 1:
        abort(_error("exactly_one_of_nik_passport_sid", 400))
    by = keys[0]
    patterns = {"nik": _NIK, "passport": _PASSPORT, "sid": _SID}
    value = body[by].strip().upper() if isinstance(body[by], str) else None
    if value is None or not patterns[by].fullmatch(value):
        abort(_error(f"invalid_{by}", 400))
    return _answer(_fakes().ksei.find_investor(by, value))


@bp.post("/bkn/pegawai/verify")
def bkn_verify() -> Reply:
    body = _body()
    nip = _require(body, "nip", _NIP)
    nik = _require(body, "nik", _NIK)
    return _answer(_fakes().bkn.verify_civil_servant(nip, nik))


@bp.post("/sipp/personel/verify")
def sipp_verify() -> Reply:
    body = _body()
    nrp = _require(body, "nrp", _NRP)
    nik = _require(body, "nik", _NIK)
    return _answer(_fakes().sipp.verify_officer(nrp, nik))


@bp.post("/gateway/messages")
def gateway_send() -> Reply:
    body = _body()
    channel = body.get("channel")
    if channel not in CHANNELS:
        abort(_error("invalid_channel", 400))
    to = _require(body, "to", _E164)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        abort(_error("invalid_text", 400))
    result = _fakes().message_gateway.send(
        channel, to, text, idempotency_key=request.headers.get(IDEMPOTENCY_HEADER))
    if isinstance(result, Unavailable):
        return _answer(result)
    return jsonify(result="accepted", data={"message_id": result.message_id}), 202


@bp.get("/gateway/messages")
def gateway_messages() -> Reply:
    """Fake only: what was sent to a number, newest first, for tests and local demos."""
    to = request.args.get("to", "")
    if not any(c.isdigit() for c in to):
        abort(_error("invalid_to", 400))
    messages = _fakes().message_gateway.messages_to(to)
    return jsonify(messages=[
        {**asdict(m), "sent_at": m.sent_at.isoformat()} for m in messages
    ]), 200
