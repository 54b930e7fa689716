"""The browser reaches Keycloak's themed login page through the sidecar's portal page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.keycloak]


def test_c5_akses_login_page_is_indonesian_and_links_to_sidecar(
        page: Page, sidecar_server: str, screenshots) -> None:
    page.goto(f"{sidecar_server}/akses/masuk")
    expect(page.locator("#kc-form-login")).to_be_visible()
    expect(page.get_by_role("button", name="Masuk")).to_be_visible()
    register = page.get_by_role("link", name="Daftar")
    expect(register).to_have_attribute("href", f"{sidecar_server}/akses/daftar?lang=id")
    screenshots.take(page, "login akses")
