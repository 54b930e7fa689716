"""``/pki/tsa``: the CA's time-stamping authority over HTTP (RFC 3161 section 3.4), public
like the CRL and the OCSP responder. The signing service uses the same TSA in process; this
endpoint lets any RFC 3161 client (``openssl ts``, pyHanko's HTTPTimeStamper, Adobe) get a
token from it and check one independently. Each request costs one RSA-3072 signature: rate-
limited per client and overall."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, request
from flask.typing import ResponseReturnValue

from gerbang_sidecar.web.context import services
from gerbang_sidecar.web.forms import csrf
from gerbang_sidecar.web.rate_limit import rate_limited
from gerbang_sidecar.web.request_limits import accepts_body

bp = Blueprint("pki_timestamping", __name__)
MAX_REQUEST = 4096  # a TimeStampReq is a few hundred bytes
LIMIT, WINDOW, CEILING = 120, 600, 6000


@bp.post("/pki/tsa")
@accepts_body(MAX_REQUEST)
@csrf.exempt
@rate_limited(LIMIT, WINDOW, ceiling=CEILING)
def timestamp() -> ResponseReturnValue:
    if request.mimetype != "application/timestamp-query" or \
            (request.content_length or 0) > MAX_REQUEST:
        abort(400)
    return Response(services().signing.timestamp(request.get_data()),
                    mimetype="application/timestamp-reply")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
