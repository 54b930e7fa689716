"""Request ids: one per incoming request and one per outbox delivery (issue 11 item 5).

The web layer takes a sane ``X-Request-ID`` from the caller (the reverse proxy's) or makes
one, and binds it here for the request; the outbox worker binds a fresh one per delivery.
Whoever needs it reads :func:`current_request_id`: the log filter (``logging_setup.py``)
writes it into every JSON line, and the Keycloak and registry adapters send it on as
``X-Request-ID``, so one id follows a click from the proxy's log through ours into Keycloak's
and a registry's.

Beside the layers like ``config.py``: a context variable, no Flask, no HTTP library, so every
layer may read it. An incoming id is used only when it cannot carry a personal identifier
(X3): a plain token of at most 128 safe characters that the log redaction leaves unchanged;
anything else is replaced by a new id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from gerbang_sidecar.domain.redaction import redact

REQUEST_ID_HEADER = "X-Request-ID"

_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_current: ContextVar[str | None] = ContextVar("gerbang_request_id", default=None)


def new_request_id() -> str:
    """A fresh id: 32 hex digits, never shaped like an identifier the redaction masks."""
    while True:
        candidate = uuid.uuid4().hex
        if redact(candidate) == candidate:
            return candidate


def accept_request_id(incoming: str | None) -> str:
    """``incoming`` when it is a sane id that carries no identifier, else a new one."""
    if incoming is not None:
        incoming = incoming.strip()
        if _SANE.fullmatch(incoming) and redact(incoming) == incoming:
            return incoming
    return new_request_id()


def current_request_id() -> str | None:
    return _current.get()


def bind_request_id(request_id: str | None) -> object:
    """Make ``request_id`` the current one; pass the result to :func:`unbind_request_id`."""
    return _current.set(request_id)


def unbind_request_id(token: object) -> None:
    try:
        _current.reset(token)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        # Bound in another context (a hook ran elsewhere): forget it all the same.
        _current.set(None)


@contextmanager
def request_id_scope(request_id: str | None = None) -> Iterator[str]:
    """Work under an id of its own: an outbox delivery, a chore, an OCSP request answered
    before Flask (web/pki_ocsp.py)."""
    bound = request_id or new_request_id()
    token = bind_request_id(bound)
    try:
        yield bound
    finally:
        unbind_request_id(token)
