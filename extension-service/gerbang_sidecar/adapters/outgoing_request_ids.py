"""``X-Request-ID`` on every request a ``requests`` session sends (issue 11 item 5).

python-keycloak sends with headers fixed on its connection, shared by every thread, so the
id of the page or outbox delivery that makes a call cannot be passed per call; the session's
transport adapter adds it when the request leaves instead. Registry calls pass the header
themselves (``registries/transport.py``).
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from gerbang_sidecar.request_ids import REQUEST_ID_HEADER, current_request_id


class RequestIdAdapter(HTTPAdapter):
    def send(self, request: requests.PreparedRequest, *args: Any,
             **kwargs: Any) -> requests.Response:
        request_id = current_request_id()
        if request_id is not None:
            request.headers[REQUEST_ID_HEADER] = request_id
        return super().send(request, *args, **kwargs)


def send_request_ids(session: requests.Session, retry: Retry | None = None) -> None:
    """Replace the session's transport adapters by ones that add the request id, keeping
    their retry policy unless ``retry`` is given."""
    for prefix, adapter in list(session.adapters.items()):
        kept = retry if retry is not None else adapter.max_retries  # type: ignore[attr-defined]
        session.mount(prefix, RequestIdAdapter(max_retries=kept))
