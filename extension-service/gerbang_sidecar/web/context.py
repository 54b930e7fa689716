"""The container of services a page works with (built by ``wiring.py``, kept by the app)."""

from __future__ import annotations

from flask import Flask, current_app

from gerbang_sidecar.wiring import Services

_EXTENSION = "gerbang"


def install(app: Flask, services: Services) -> None:
    app.extensions[_EXTENSION] = services


def services() -> Services:
    """The current app's services (views and hooks call this; nothing else looks them up)."""
    return current_app.extensions[_EXTENSION]
