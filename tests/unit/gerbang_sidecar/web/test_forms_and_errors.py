from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from gerbang_sidecar.wiring import Services

Csrf = Callable[[], str]


def test_x5_csrf_missing_is_400_themed(client: FlaskClient) -> None:
    response = client.post("/akses/contoh", data={"name": "Budi", "email": "b@example.test"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Sesi formulir telah berakhir" in html
    assert 'class="gb-helpdesk"' in html  # C6


def test_x5_csrf_missing_in_english(client: FlaskClient) -> None:
    client.get("/akses/?lang=en")
    response = client.post("/akses/contoh", data={"name": "Budi"})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)


def test_x5_field_error_beside_the_field_keeps_the_typed_value(client: FlaskClient,
                                                               csrf_token: Csrf) -> None:
    token = csrf_token()
    response = client.post("/akses/contoh", data={"csrf_token": token, "name": "Budi Santoso",
                                                   "email": "bukan-email"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Budi Santoso"' in html and 'value="bukan-email"' in html
    assert 'id="error-summary"' in html
    assert ('aria-invalid="true"' in html
            and '<span class="gb-error" id="email-error">Alamat email tidak valid.</span>' in html)
    assert 'id="name-error"' not in html


def test_x5_valid_form_passes(client: FlaskClient, csrf_token: Csrf) -> None:
    token = csrf_token()
    response = client.post("/akses/contoh", data={"csrf_token": token, "name": "Budi",
                                                   "email": "budi@example.test"})
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok"


def test_c6_404_is_themed_with_the_portal_helpdesk(client: FlaskClient) -> None:
    response = client.get("/oss/tidak-ada")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in html
    assert "0807 1002 576" in html  # from themes/gerbang-oss/login/theme.properties
    assert "/theme/oss/css/portal.css" in html


def test_c6_500_is_themed(client: FlaskClient, app) -> None:  # type: ignore[no-untyped-def]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Terjadi kesalahan" in response.get_data(as_text=True)


def test_c6_keycloak_outage_shows_themed_503(client: FlaskClient, csrf_token: Csrf) -> None:
    token = csrf_token()
    response = client.post("/akses/contoh", data={"csrf_token": token, "name": "outage",
                                                   "email": "budi@example.test"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Layanan sementara tidak tersedia" in html and "1500-5734" in html


def test_x5_temporary_problem_keeps_what_was_typed(client: FlaskClient, csrf_token: Csrf) -> None:
    token = csrf_token()
    response = client.post("/akses/contoh", data={"csrf_token": token, "name": "outage-kept",
                                                   "email": "budi@example.test"})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert 'id="temporary-problem"' in html
    assert 'value="budi@example.test"' in html
    assert 'class="gb-helpdesk"' in html


def test_theme_stylesheet_is_served_from_the_theme_source(client: FlaskClient,
                                                         services: Services) -> None:
    themes = services.settings.themes_dir
    css = client.get("/theme/akses/css/gerbang.css")
    assert css.status_code == 200
    assert css.data == (themes / "gerbang/login/resources/css/gerbang.css").read_bytes()
    logo = client.get("/theme/akses/img/logo.svg")
    assert logo.data == (themes / "gerbang-akses/login/resources/img/logo.svg").read_bytes()
    assert client.get("/theme/gerbang/css/gerbang.css").status_code == 200


def test_theme_route_serves_nothing_outside_css_and_img(client: FlaskClient) -> None:
    assert client.get("/theme/akses/theme.properties").status_code == 404
    assert client.get("/theme/akses/css/../../theme.properties").status_code == 404
    assert client.get("/theme/unknown/css/gerbang.css").status_code == 404


def test_home_lists_every_portal(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    for name in ("AKSes KSEI", "OSS", "BSrE AMS", "INSW"):
        assert name in html


def test_portal_home_links_login_registration_and_forgot_password(client: FlaskClient) -> None:
    html = client.get("/akses/").get_data(as_text=True)
    assert 'href="/akses/masuk"' in html
    assert 'href="/akses/daftar?lang=id"' in html
    assert 'href="/akses/lupa-kata-sandi?lang=id"' in html


def test_b10_bsre_start_page_links_keycloaks_own_reset(client: FlaskClient) -> None:
    """BSrE has no sidecar forgot password (B10 asks the user's own OTP code, on Keycloak's
    pages): the link is Keycloak's reset page for the portal client, not a 404."""
    html = client.get("/bsre/?lang=en").get_data(as_text=True)
    assert "/realms/bsre/login-actions/reset-credentials?client_id=bsre-portal&amp;" \
           "kc_locale=en" in html
    assert "/bsre/lupa-kata-sandi" not in html
