"""Rate limits for public forms (X2): a decorator marks a view, a hook counts its requests;
views add a limit per identifier once they have read it from the form; ``time_limited``
counts the seconds a view's work took, for work whose cost the upload decides.

The counting itself is ``services.rate_limits.RateLimiter`` (in the database, shared by every
worker). The client is ``request.remote_addr``: behind a reverse proxy, the address
``TRUSTED_PROXIES`` lets through (web/client_address.py).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Flask, Response, current_app, make_response, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import TooManyRequests

from gerbang_sidecar.domain.identifiers import IdentifierError, parse_mobile_number
from gerbang_sidecar.domain.one_time_code import CodePolicy
from gerbang_sidecar.ports.storage import StorageError
from gerbang_sidecar.services.rate_limits import (
    CLIENTS_PER_SITE,
    EVERYONE,
    MAX_WINDOW_SECONDS,
    client_key,
    identifier_key,
    site_key,
)
from gerbang_sidecar.web.context import services

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    limit: int
    per_seconds: int
    methods: tuple[str, ...]
    scope: str | None
    ceiling: int | None


_MARK = "_gerbang_rate_limit"


def rate_limited(limit: int, per_seconds: int, *, methods: tuple[str, ...] = ("POST",),
                 scope: str | None = None, ceiling: int | None = None
                 ) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Refuse with the themed 429 page beyond ``limit`` requests per ``per_seconds`` from
    one client, or beyond ``ceiling`` from everyone together.

    Counted per ``scope`` (default: the endpoint), only for ``methods`` — showing a form is
    free, sending it is counted. The decorator only marks the view; the per-client check
    runs in a ``before_request`` hook placed before the CSRF check, so requests with a
    missing or forged token count against their sender too; the ceiling's hook runs after
    it, so they do not count against everyone.
    """
    if not 0 < per_seconds <= MAX_WINDOW_SECONDS:
        raise ValueError("window must be between 1 second and a day")

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        setattr(view, _MARK, Limit(limit, per_seconds, tuple(methods), scope, ceiling))
        return view

    return decorate


def _rule() -> tuple[Limit, str] | None:
    """The limit of the view this request goes to, and its scope; None when nothing counts."""
    view = current_app.view_functions.get(request.endpoint or "")
    rule: Limit | None = getattr(view, _MARK, None)
    if rule is None or request.method not in rule.methods:
        return None
    if not services().settings.rate_limits_enabled:
        return None
    return rule, rule.scope or request.endpoint or request.path


def _enforce_per_client() -> None:
    found = _rule()
    if found is None:
        return
    rule, scope = found
    address = request.remote_addr or ""
    limiter = services().rate_limiter
    decision = limiter.hit(scope, client_key(address), rule.limit, rule.per_seconds)
    site = site_key(address)
    if decision.allowed and site is not None:
        decision = limiter.hit(scope, site, rule.limit * CLIENTS_PER_SITE, rule.per_seconds)
    if not decision.allowed:
        raise TooManyRequests(retry_after=decision.retry_after)


def _enforce_ceiling() -> None:
    """Everyone together: counted after the CSRF check, so requests without a valid form
    token (a script's junk, from as many addresses as it likes) cannot spend the ceiling
    that real users share."""
    found = _rule()
    if found is None:
        return
    rule, scope = found
    if rule.ceiling is None:
        return
    decision = services().rate_limiter.hit(scope, EVERYONE, rule.ceiling, rule.per_seconds)
    if not decision.allowed:
        raise TooManyRequests(retry_after=decision.retry_after)


def time_limited(seconds: int, per_seconds: int, *, scope: str, reserve: int
                 ) -> Callable[[Callable[P, ResponseReturnValue]], Callable[P, Response]]:
    """Refuse (the themed 429) a POST from a client whose POSTs on ``scope`` took ``seconds``
    of the sidecar's time in this window of ``per_seconds`` (an IPv6 site: sixteen times
    that), counting ``reserve`` seconds for each still running.

    For work whose cost the upload decides -- a PDF's verification takes a fraction of a
    second or the ten seconds of CPU its child may use: a count of requests bounds how many,
    not how much. Each POST reserves ``reserve`` seconds before it starts, so one client
    cannot start more at once than its seconds cover; when it ends, the reservation becomes
    the time it took (wall clock, as the sidecar's clock saw it), or nothing when it
    answered 503 (busy: the work was not done)."""

    def decorate(view: Callable[P, ResponseReturnValue]) -> Callable[P, Response]:
        @wraps(view)
        def timed(*args: P.args, **kwargs: P.kwargs) -> Response:
            container = services()
            if request.method != "POST" or not container.settings.rate_limits_enabled:
                return make_response(view(*args, **kwargs))
            address = request.remote_addr or ""
            site = site_key(address)
            budgets = [(client_key(address), seconds)] + (
                [(site, seconds * CLIENTS_PER_SITE)] if site is not None else [])
            limiter = container.rate_limiter
            reserved: list[tuple[str, int]] = []

            def settle(took: int) -> None:
                for key, window in reserved:
                    limiter.hit(scope, key, 0, per_seconds, cost=took - reserve,
                                window_start=window)

            for key, budget in budgets:
                decision = limiter.hit(scope, key, budget, per_seconds, cost=reserve)
                reserved.append((key, decision.window_start))
                if not decision.allowed:
                    settle(0)
                    raise TooManyRequests(retry_after=decision.retry_after)
            started = container.clock()
            response: Response | None = None
            try:
                response = make_response(view(*args, **kwargs))
                return response
            finally:
                took = 0 if response is not None and response.status_code == 503 else \
                    math.ceil(max(0.0, (container.clock() - started).total_seconds()))
                try:
                    settle(took)
                except StorageError:
                    # The work is done and its answer ready: it is not lost for this.
                    log.warning("time spent on %s not counted: storage unavailable", scope)

        return timed

    return decorate


def limit_identifier(scope: str, value: str, limit: int, per_seconds: int) -> None:
    """Count one use of an identifier typed into a form (a NIK, SID, email), whoever sends
    it; the themed 429 page beyond ``limit`` per ``per_seconds``. Every value counts alike,
    whether an account has it or not (X1)."""
    if value.strip():
        _count_all([(scope, identifier_key(value), limit)], per_seconds)


def limit_identifier_per_site(scope: str, value: str, limit: int, per_seconds: int, *,
                              sites: int) -> None:
    """As ``limit_identifier``, with ``limit`` counted per site (an IPv4 address, an IPv6
    /48) and ``sites`` times ``limit`` for everyone together: a stranger who knows the
    identifier spends only their own site's share, so its owner still gets through from
    elsewhere. For forms whose answer tells nothing about the identifier (forgot password,
    X1); a limit that guards an oracle (a registry match) stays one count for everyone."""
    if not value.strip():
        return
    address = request.remote_addr or ""
    key = identifier_key(value)
    _count_all([(f"{scope}.site", f"{key}|{site_key(address) or client_key(address)}", limit),
                (scope, key, limit * sites)], per_seconds)


def _count_all(buckets: list[tuple[str, str, int]], per_seconds: int) -> None:
    """Count one use in each (scope, key, limit) bucket in turn; the themed 429 page at the
    first one that is full (the later ones are not counted)."""
    container = services()
    if not container.settings.rate_limits_enabled:
        return
    for scope, key, limit in buckets:
        decision = container.rate_limiter.hit(scope, key, limit, per_seconds)
        if not decision.allowed:
            raise TooManyRequests(retry_after=decision.retry_after)


# Selfies one emailed link may have compared with the holder's Dukcapil photo: enough for a
# phone camera's bad tries, not a face-matching oracle for whoever holds the link.
FACE_CHECKS_PER_LINK = 10
FACE_CHECK_WINDOW = 24 * 3600  # the longest such link lives


def limit_face_checks(link_token: str) -> None:
    """Count a selfie sent with ``link_token`` (B4, B9, B17), from any address; the themed
    429 page beyond FACE_CHECKS_PER_LINK."""
    limit_identifier("face_check", link_token, FACE_CHECKS_PER_LINK, FACE_CHECK_WINDOW)


def counted_sends(scope: str, value: str, limit: int, per_seconds: int,
                  send: Callable[[], T], sent: type) -> T:
    """``send`` to ``value`` (an account, a registration, a mobile number) unless ``limit``
    sends to it were counted in the window (the themed 429 page); counted only when ``send``
    returns a ``sent``, so asking while another limit refuses spends nothing of the owner's
    budget (found by review: a stranger's refused tries spent an owner's day). Two asking
    at the same moment may both take the last place."""
    container = services()
    if not value.strip() or not container.settings.rate_limits_enabled:
        return send()
    key = identifier_key(value)
    decision = container.rate_limiter.hit(scope, key, limit - 1, per_seconds, cost=0)
    if not decision.allowed:
        raise TooManyRequests(retry_after=decision.retry_after)
    result = send()
    if isinstance(result, sent):
        container.rate_limiter.hit(scope, key, limit, per_seconds)
    return result


def send_code_to(number: str | None, policy: CodePolicy, send: Callable[[], T],
                 sent: type) -> T:
    """A code policy's cap (B2: 5 a day) per mobile number as well as per asker: each new
    self-registration is a new asker, and bought one more code for any number -- a paid
    WhatsApp message to whoever holds it. Counted on the number in E.164, however typed; a
    number that does not parse is left to the use case, which refuses it beside its field."""
    try:
        e164 = parse_mobile_number(number).e164
    except IdentifierError:
        return send()
    return counted_sends(f"codes_to.{policy.name}", e164, policy.daily_cap,
                         int(policy.cap_window.total_seconds()), send, sent)


def init_app(app: Flask) -> None:
    """Register before ``forms.init_app`` (CSRF) so refused tokens still count per client."""
    app.before_request(_enforce_per_client)


def init_ceilings(app: Flask) -> None:
    """Register after ``forms.init_app``: the ceilings count only requests past CSRF."""
    app.before_request(_enforce_ceiling)
