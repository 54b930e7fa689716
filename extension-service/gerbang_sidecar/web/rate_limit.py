"""Rate limits for public forms (X2): per client address and endpoint, fixed windows.

Counted in the sidecar's database (table ``rate_limit_windows``) so every gunicorn worker and
every host shares one count; an in-memory counter would let each worker allow the full limit.
One upsert per limited request (``INSERT … ON CONFLICT DO UPDATE … RETURNING``) keeps it
atomic on SQLite and PostgreSQL alike. The bucket is an HMAC of endpoint and address under
the app's secret, so the table holds no IP address.

Behind a reverse proxy set ``PROXY_FIX_HOPS`` so ``request.remote_addr`` is the client's.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from flask import Flask, current_app, request
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.exceptions import TooManyRequests

from gerbang_sidecar.adapters.storage import Storage, get_storage
from gerbang_sidecar.adapters.storage.models import RateLimitWindow

P = ParamSpec("P")
R = TypeVar("R")

# Windows older than this are deleted as new ones open; no limit may use a longer window.
MAX_WINDOW_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Decision:
    allowed: bool
    hits: int
    retry_after: int  # seconds until the window resets (0 when allowed)


class RateLimiter:
    def __init__(self, storage: Storage, secret: str,
                 clock: Callable[[], float] = time.time):
        self._storage = storage
        self._secret = secret.encode()
        self._clock = clock

    def bucket(self, scope: str, client: str) -> str:
        return hmac.new(self._secret, f"{scope}\0{client}".encode(), hashlib.sha256).hexdigest()

    def hit(self, scope: str, client: str, limit: int, window_seconds: int) -> Decision:
        """Count one request of ``client`` on ``scope``; refused beyond ``limit`` per window."""
        if not 0 < window_seconds <= MAX_WINDOW_SECONDS:
            raise ValueError("window must be between 1 second and a day")
        now = int(self._clock())
        window_start = now - now % window_seconds
        bucket = self.bucket(scope, client)
        with self._storage.transaction() as session:
            dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite  # type: ignore[union-attr]
            statement = dialect.insert(RateLimitWindow).values(
                bucket=bucket, window_start=window_start, hits=1)
            statement = statement.on_conflict_do_update(
                index_elements=["bucket", "window_start"],
                set_={"hits": RateLimitWindow.hits + 1},
            ).returning(RateLimitWindow.hits)
            hits = int(session.execute(statement).scalar_one())
            if hits == 1:  # a window just opened: a good moment to forget old ones
                session.execute(delete(RateLimitWindow).where(
                    RateLimitWindow.window_start < now - MAX_WINDOW_SECONDS))
        allowed = hits <= limit
        return Decision(allowed, hits, 0 if allowed else window_start + window_seconds - now)


def get_rate_limiter() -> RateLimiter:
    app = current_app
    limiter = app.extensions.get("gerbang_rate_limiter")
    if limiter is None:
        limiter = RateLimiter(get_storage(app), app.config["SECRET_KEY"])
        app.extensions["gerbang_rate_limiter"] = limiter
    return limiter


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
    if not current_app.config["GERBANG"].rate_limits_enabled:
        return
    decision = get_rate_limiter().hit(rule.scope or request.endpoint or request.path,
                                      request.remote_addr or "-", rule.limit, rule.per_seconds)
    if not decision.allowed:
        raise TooManyRequests(retry_after=decision.retry_after)


def init_app(app: Flask) -> None:
    """Register before ``forms.init_app`` (CSRF) so refused tokens still count."""
    app.before_request(_enforce)
