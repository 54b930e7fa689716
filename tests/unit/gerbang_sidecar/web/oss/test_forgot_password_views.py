"""OSS forgot password (issue 9, item 5; X1): username or email, one step, the same answer
for every identifier, and no page for a portal without forgot password."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html[:1500]
    return match.group(1)


def test_oss_forgot_password_asks_username_or_email_and_sends_from_step_one(
        client: FlaskClient) -> None:
    page = client.get("/oss/lupa-kata-sandi").get_data(as_text=True)
    assert "Username atau email" in page and 'id="process"' in page and "SID" not in page
    answers = [client.post("/oss/lupa-kata-sandi", data={
        "csrf_token": _csrf(page), "identifier": who, "action": "process"})
        for who in ("ada@example.com", "tidak.ada@example.com")]
    assert [a.status_code for a in answers] == [303, 303]
    sent = [client.get(a.location) for a in answers]
    assert [s.status_code for s in sent] == [200, 200]
    bodies = [re.sub(r"/terkirim/[\w.-]+", "", s.get_data(as_text=True)) for s in sent]
    bodies = [re.sub(r'value="[^"]{20,}"', "", b) for b in bodies]
    assert bodies[0] == bodies[1]  # X1


def test_a_portal_without_forgot_password_has_no_page(client: FlaskClient) -> None:
    assert client.get("/bsre/lupa-kata-sandi").status_code == 404  # BSrE: Keycloak's own (B10)
    assert client.get("/akses/lupa-kata-sandi").status_code == 200
