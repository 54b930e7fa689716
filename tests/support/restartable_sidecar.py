"""The session's sidecar as something a test can restart (R9).

A restart builds a new app over the same instance folder (the same secrets, so cookies and
encrypted rows stay readable) and the same database, after stopping the old app's outbox
thread and closing its services: nothing held in memory survives, as after a process
restart. The HTTP server keeps serving from the same socket, so browsers, Keycloak's client
redirects and the mail links keep working.

Its services tell the time by ``clock``, the real time unless a test shifts it
(``sidecar.clock.shifted(days=710)``); a restart keeps the same clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask

from gerbang_sidecar.app import create_app
from gerbang_sidecar.config import load_settings
from gerbang_sidecar.web import background
from gerbang_sidecar.web.context import services
from gerbang_sidecar.wiring import build_services
from support.clock import ShiftedClock


class RestartableSidecar:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = dict(config)
        self.clock = ShiftedClock()
        self.app = self._create(self._config)

    def _create(self, config: Mapping[str, Any]) -> Flask:
        return create_app(services=build_services(load_settings(**config), clock=self.clock))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.app(environ, start_response)

    def restart(self, **overrides: Any) -> Flask:
        """Stop this app as its process would stop, start a new one (``overrides`` change
        its settings, e.g. registry URLs); returns the new app."""
        old = self.app
        background.stop(old)
        with old.app_context():
            services().close()
        self.app = self._create({**self._config, **overrides})
        return self.app
