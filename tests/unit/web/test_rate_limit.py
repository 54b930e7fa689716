from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gerbang_sidecar.adapters.storage import get_storage
from gerbang_sidecar.adapters.storage.models import RateLimitWindow
from gerbang_sidecar.web.rate_limit import RateLimiter


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


def test_x2_limits_can_be_switched_off(client: FlaskClient, app: Flask, form_limit: int) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    app.config["GERBANG"] = replace(app.config["GERBANG"], rate_limits_enabled=False)
    assert all(_post(client) == 400 for _ in range(form_limit + 2))


def test_x2_window_resets_and_buckets_hold_no_address(app: Flask) -> None:
    now = [1_000_000.0]
    limiter = RateLimiter(get_storage(app), "key", clock=lambda: now[0])
    assert [limiter.hit("scope", "203.0.113.7", 2, 60).allowed for _ in range(3)] == [
        True, True, False]
    refused = limiter.hit("scope", "203.0.113.7", 2, 60)
    assert refused.retry_after == 60 - int(now[0]) % 60
    now[0] += 60
    assert limiter.hit("scope", "203.0.113.7", 2, 60).allowed
    with get_storage(app).transaction() as session:
        buckets = session.scalars(select(RateLimitWindow.bucket)).all()
    assert buckets and not any("203.0.113.7" in b for b in buckets)


def test_x2_window_longer_than_a_day_is_refused(app: Flask) -> None:
    with pytest.raises(ValueError):
        RateLimiter(get_storage(app), "key").hit("s", "c", 1, 2 * 24 * 3600)
