"""X10's "Data Saya" button as a browser presses it (a POST with the form token)."""

from __future__ import annotations

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from support.forms import forms


def download_account_data(client: FlaskClient, path: str) -> TestResponse:
    """The page the button sits on (where ``/<path>/data-saya`` sends a GET), then its POST."""
    page = client.get(f"/{path}/data-saya", follow_redirects=True).get_data(as_text=True)
    [button] = [f for f in forms(page) if f.action == f"/{path}/data-saya"]
    return client.post(button.action, data=button.fields)
