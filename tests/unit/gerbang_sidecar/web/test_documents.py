"""O2/O3 (OSS's terms box), I2 (INSW's terms), B4 (BSrE's consents) and B17 (the subscriber
agreement): every box that accepts a text links to it, and the text reads in Indonesian and
English. A newcomer ticked agreements nobody could read."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from gerbang_sidecar.web.pages import DOCUMENTS


@pytest.mark.parametrize(("realm", "name"), sorted(DOCUMENTS))
@pytest.mark.parametrize("lang", ["id", "en"])
def test_o2_i2_b4_b17_every_accepted_text_reads_in_both_languages(
        client: FlaskClient, realm: str, name: str, lang: str) -> None:
    page = client.get(f"/{realm}/dokumen/{name}?lang={lang}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="document"' in html
    assert f'lang="{lang}"' in html and "document.oss" not in html \
        and "document.bsre" not in html and "document.insw" not in html  # titles, not keys
    assert html.count("<li>") >= 5


def test_a_document_nobody_declared_is_not_found(client: FlaskClient) -> None:
    assert client.get("/akses/dokumen/syarat-dan-ketentuan").status_code == 404
    assert client.get("/bsre/dokumen/..%2fbase").status_code == 404


def test_o2_the_terms_box_links_its_text_in_a_new_tab(client: FlaskClient) -> None:
    html = client.get("/oss/daftar").get_data(as_text=True)
    assert 'href="/oss/dokumen/syarat-dan-ketentuan" target="_blank" rel="noopener"' in html
