"""X2 on the pages: a marked form counts every POST per client, CSRF failures too."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient


def _post(client: FlaskClient, ip: str = "203.0.113.7") -> int:
    return client.post("/akses/contoh", data={"name": "x"},
                       environ_base={"REMOTE_ADDR": ip}).status_code


def test_x2_public_form_rate_limited(client: FlaskClient, form_limit: int) -> None:
    statuses = [_post(client) for _ in range(form_limit + 1)]
    assert statuses[:form_limit] == [400] * form_limit  # counted even when the CSRF fails
    response = client.post("/akses/contoh", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    html = response.get_data(as_text=True)
    assert statuses[-1] == 429 and response.status_code == 429
    assert "Terlalu banyak percobaan" in html and 'class="gb-helpdesk"' in html
    assert 0 < int(response.headers["Retry-After"]) <= 600


def test_x2_other_clients_and_page_views_are_not_limited(client: FlaskClient,
                                                          form_limit: int) -> None:
    for _ in range(form_limit + 1):
        _post(client, "203.0.113.7")
    assert _post(client, "198.51.100.9") == 400
    assert client.get("/akses/contoh", environ_base={"REMOTE_ADDR": "203.0.113.7"}
                      ).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"rate_limits_enabled": False}])
def test_x2_limits_can_be_switched_off(client: FlaskClient, form_limit: int) -> None:
    assert all(_post(client) == 400 for _ in range(form_limit + 2))
