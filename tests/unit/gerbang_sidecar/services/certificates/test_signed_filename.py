"""X7: the signed PDF is offered under the upload's name, made safe for a download header."""

from __future__ import annotations

import pytest

from gerbang_sidecar.services.certificates.signing import signed_filename


@pytest.mark.parametrize(("uploaded", "offered"), [
    ("surat.pdf", "surat-ditandatangani.pdf"),
    ('Laporan "Dinas".pdf', "Laporan _Dinas_-ditandatangani.pdf"),
    ("a\r\nSet-Cookie: x=1.pdf", "a__Set-Cookie: x=1-ditandatangani.pdf"),
    ("..\\..\\etc/passwd.pdf", ".._.._etc_passwd-ditandatangani.pdf"),
    ("Laporan – Dinas.pdf", "Laporan – Dinas-ditandatangani.pdf"),
    ("", "dokumen-ditandatangani.pdf"),
    ('"".pdf', "__-ditandatangani.pdf"),
    ("x" * 200 + ".pdf", "x" * 80 + "-ditandatangani.pdf"),
])
def test_x7_the_signed_pdf_keeps_a_safe_form_of_its_name(uploaded: str, offered: str) -> None:
    assert signed_filename(uploaded) == offered
