from __future__ import annotations

import re

from flask.testing import FlaskClient

from gerbang_sidecar.web.i18n import COOKIE, catalog, normalise, translate


def test_c5_catalogs_have_the_same_keys() -> None:
    assert catalog("id").keys() == catalog("en").keys()


def test_c5_catalogs_have_the_same_placeholders() -> None:
    for key, text in catalog("id").items():
        assert set(re.findall(r"{(\w+)}", text)) == set(
            re.findall(r"{(\w+)}", catalog("en")[key])), key


def test_c5_translate_formats_and_falls_back_to_the_key() -> None:
    assert translate("helpdesk.lead", "en", name="OSS") == "Need help? Contact OSS."
    assert translate("no.such.key", "en") == "no.such.key"


def test_c5_normalise_accepts_region_variants_only_for_supported_languages() -> None:
    assert normalise("en-US") == "en"
    assert normalise("ID") == "id"
    assert normalise("fr") is None
    assert normalise("") is None


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
