"""X5 and the hostile review: a body larger than its page takes is refused with 413 before
anything reads it (CSRF protection parsed whole forms first), declared or chunked; the 413 is
a themed page, or JSON for the JSON endpoint, in the page's language."""

from __future__ import annotations

import io

from flask.testing import FlaskClient

from gerbang_sidecar.services.certificates.public_verification import MAX_PDF_BYTES
from gerbang_sidecar.web.bsre.timestamping import MAX_REQUEST
from gerbang_sidecar.web.request_limits import FORM_LIMIT, MULTIPART_ALLOWANCE

TOO_LARGE_PDF = MAX_PDF_BYTES + MULTIPART_ALLOWANCE + 1


def _chunked(client: FlaskClient, path: str, size: int, content_type: str) -> int:
    """A body without Content-Length, as ``Transfer-Encoding: chunked`` arrives in WSGI."""
    return client.post(path, input_stream=io.BytesIO(b"x" * size),
                       environ_overrides={"wsgi.input_terminated": True},
                       headers={"Content-Type": content_type}).status_code


def test_x5_a_form_without_files_takes_its_limit_and_no_more(client: FlaskClient) -> None:
    answer = client.post("/akses/contoh", data={"name": "x" * (FORM_LIMIT + 1)})
    assert answer.status_code == 413  # not 400: refused before the CSRF check read it all
    page = answer.get_data(as_text=True)
    assert "Berkas terlalu besar" in page and "pilih berkas yang lebih kecil" in page
    english = client.post("/akses/contoh?lang=en", data={"name": "x" * (FORM_LIMIT + 1)})
    assert "File too large" in english.get_data(as_text=True)
    assert _chunked(client, "/akses/contoh", FORM_LIMIT + 1,
                    "application/x-www-form-urlencoded") == 413


def test_item9_the_verification_page_refuses_an_oversized_upload_unread(
        client: FlaskClient) -> None:
    declared = client.post("/verifikasi", data={
        "document": (io.BytesIO(b"x" * TOO_LARGE_PDF), "big.pdf")},
        content_type="multipart/form-data")
    assert declared.status_code == 413
    assert _chunked(client, "/verifikasi", TOO_LARGE_PDF, "multipart/form-data; boundary=x") \
        == 413


def test_item9_the_json_endpoint_answers_413_and_its_refusals_in_json(
        client: FlaskClient) -> None:
    big = client.post("/verifikasi.json", data={
        "document": (io.BytesIO(b"x" * TOO_LARGE_PDF), "big.pdf")},
        content_type="multipart/form-data")
    assert big.status_code == 413 and big.json is not None
    assert "melebihi ukuran" in big.json["errors"]["request"]
    missing = client.post("/verifikasi.json?lang=en", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.json is not None
    assert missing.json["errors"]["document"] == "Choose a file to upload."


def test_item9_a_browser_sent_by_another_site_is_refused(client: FlaskClient) -> None:
    """The JSON endpoint is CSRF-exempt for API clients; another site's page must not spend
    its overall limit through its visitors' browsers."""
    answer = client.post("/verifikasi.json", data={}, content_type="multipart/form-data",
                         headers={"Sec-Fetch-Site": "cross-site"})
    assert answer.status_code == 403 and answer.json is not None
    assert "situs lain" in answer.json["errors"]["request"]


class _Counted(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.given = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.given += len(chunk)
        return chunk


def test_x6_the_time_stamping_authority_reads_no_more_than_a_request(
        client: FlaskClient) -> None:
    body = _Counted(b"x" * 30_000)
    answer = client.post("/pki/tsa", input_stream=body,
                         environ_overrides={"wsgi.input_terminated": True},
                         headers={"Content-Type": "application/timestamp-query"})
    assert answer.status_code in (400, 413)  # cut at the limit: what was read is no request
    assert body.given <= MAX_REQUEST
