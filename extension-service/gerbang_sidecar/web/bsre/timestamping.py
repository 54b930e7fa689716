"""``/pki/tsa``: the CA's time-stamping authority over HTTP (RFC 3161 section 3.4), public
like the CRL and the OCSP responder. The signing service uses the same TSA in process; this
endpoint lets any RFC 3161 client (``openssl ts``, pyHanko's HTTPTimeStamper, Adobe) get a
token from it and check one independently. Each request costs one RSA-3072 signature: rate-
limited per client, and overall by the tokens granted -- a request the TSA rejects costs no
signature, so junk from many addresses cannot spend what real clients share (found by a
hostile review: 50 addresses of text/plain posts locked everyone out for ten minutes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from asn1crypto import core, tsp
from flask import Blueprint, Flask, Response, abort, request
from flask.typing import ResponseReturnValue

from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.forms import csrf
from gerbang_sidecar.web.rate_limit import counted_sends, rate_limited
from gerbang_sidecar.web.request_limits import accepts_body

bp = Blueprint("pki_timestamping", __name__)
MAX_REQUEST = 4096  # a TimeStampReq is a few hundred bytes
LIMIT, WINDOW, CEILING = 120, 600, 6000


@bp.post("/pki/tsa")
@accepts_body(MAX_REQUEST)
@csrf.exempt
@rate_limited(LIMIT, WINDOW)
def timestamp() -> ResponseReturnValue:
    if request.mimetype != "application/timestamp-query" or \
            (request.content_length or 0) > MAX_REQUEST:
        abort(400)
    data = request.get_data()
    reply = counted_sends("pki_tsa.granted", "everyone", CEILING, WINDOW,
                          lambda: _stamped(data), Granted)
    return Response(reply.der, mimetype="application/timestamp-reply")


@dataclass(frozen=True)
class Granted:
    der: bytes


@dataclass(frozen=True)
class Rejected:
    der: bytes


def _stamped(data: bytes) -> Granted | Rejected:
    der = services().signing.timestamp(data)
    granted = _status(der) == "granted"
    return Granted(der) if granted else Rejected(der)


class _Reply(core.Sequence):
    """TimeStampResp with its token OPTIONAL, as RFC 3161 has it (asn1crypto's requires it)."""

    _fields: ClassVar[list[tuple[str, type, dict[str, bool]] | tuple[str, type]]] = [
        ("status", tsp.PKIStatusInfo), ("time_stamp_token", core.Any, {"optional": True})]


def _status(reply: bytes) -> str:
    return str(_Reply.load(reply)["status"]["status"].native)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
