"""The page language (C5): Indonesian by default, English when chosen, the choice kept."""

from __future__ import annotations

from flask.testing import FlaskClient

from gerbang_sidecar.web.locale import COOKIE


def test_c5_indonesian_is_the_default(client: FlaskClient) -> None:
    html = client.get("/akses/").get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "Masuk" in html


def test_c5_locale_switch_to_english_is_remembered(client: FlaskClient) -> None:
    first = client.get("/akses/?lang=en")
    assert '<html lang="en">' in first.get_data(as_text=True)
    assert f"{COOKIE}=en" in first.headers["Set-Cookie"]

    later = client.get("/akses/").get_data(as_text=True)
    assert '<html lang="en">' in later and "Log in" in later


def test_c5_keycloak_kc_locale_is_accepted(client: FlaskClient) -> None:
    assert '<html lang="en">' in client.get("/akses/?kc_locale=en").get_data(as_text=True)


def test_c5_unsupported_language_keeps_the_default(client: FlaskClient) -> None:
    response = client.get("/akses/?lang=fr")
    assert '<html lang="id">' in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers or COOKIE not in response.headers["Set-Cookie"]


def test_c5_language_switcher_links_to_the_same_page(client: FlaskClient) -> None:
    html = client.get("/akses/?lang=id").get_data(as_text=True)
    assert 'href="/akses/?lang=en"' in html
