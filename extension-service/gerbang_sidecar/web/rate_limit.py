"""Rate limits for public forms (X2): a decorator marks a view, a hook counts its requests.

The counting itself is ``services.rate_limits.RateLimiter`` (per client address and scope,
in the database, shared by every worker). Behind a reverse proxy set ``PROXY_FIX_HOPS`` so
``request.remote_addr`` is the client's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from flask import Flask, current_app, request
from werkzeug.exceptions import TooManyRequests

from gerbang_sidecar.services.rate_limits import MAX_WINDOW_SECONDS
from gerbang_sidecar.web.context import services

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Limit:
    limit: int
    per_seconds: int
    methods: tuple[str, ...]
    scope: str | None


_MARK = "_gerbang_rate_limit"


def rate_limited(limit: int, per_seconds: int, *, methods: tuple[str, ...] = ("POST",),
                 scope: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Refuse with the themed 429 page beyond ``limit`` requests per ``per_seconds``.

    Counted per client address and ``scope`` (default: the endpoint), only for ``methods``
    — showing a form is free, sending it is counted. The decorator only marks the view; the
    check runs in a ``before_request`` hook placed before the CSRF check, so requests with a
    missing or forged token are counted too.
    """
    if not 0 < per_seconds <= MAX_WINDOW_SECONDS:
        raise ValueError("window must be between 1 second and a day")

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        setattr(view, _MARK, Limit(limit, per_seconds, tuple(methods), scope))
        return view

    return decorate


def _enforce() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    rule: Limit | None = getattr(view, _MARK, None)
    if rule is None or request.method not in rule.methods:
        return
    container = services()
    if not container.settings.rate_limits_enabled:
        return
    decision = container.rate_limiter.hit(rule.scope or request.endpoint or request.path,
                                          request.remote_addr or "-", rule.limit,
                                          rule.per_seconds)
    if not decision.allowed:
        raise TooManyRequests(retry_after=decision.retry_after)


def init_app(app: Flask) -> None:
    """Register before ``forms.init_app`` (CSRF) so refused tokens still count."""
    app.before_request(_enforce)
