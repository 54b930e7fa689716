"""I3: the Surat Kuasa must be a real, plain PDF -- not encrypted, no JavaScript or actions, no
embedded files; anything else is refused, never an error."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter
from pypdf.actions import JavaScript

from gerbang_sidecar.adapters.documents.pdf import PypdfInspector
from gerbang_sidecar.ports.documents import PlainPdf, RefusedDocument


def _pdf(change=None) -> bytes:  # type: ignore[no-untyped-def]
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if change is not None:
        change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_i3_a_plain_pdf_passes() -> None:
    assert PypdfInspector().inspect(_pdf()) == PlainPdf(pages=1)


@pytest.mark.parametrize(("change", "reason"), [
    (lambda w: w.encrypt("rahasia"), "encrypted"),
    (lambda w: w.add_open_action(JavaScript("app.alert(1);")), "active_content"),
    (lambda w: w.add_attachment("x.exe", b"MZ"), "embedded_files"),
])
def test_i3_risky_pdfs_are_refused(change, reason: str) -> None:  # type: ignore[no-untyped-def]
    assert PypdfInspector().inspect(_pdf(change)) == RefusedDocument(reason)  # type: ignore[arg-type]


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n" + b"0" * 100,          # an image renamed .pdf
    b"%PDF-1.7\n" + b"garbage" * 50,            # a PDF header and nothing readable
    b"",
])
def test_i3_what_is_not_a_pdf_is_refused(content: bytes) -> None:
    assert PypdfInspector().inspect(content) == RefusedDocument("not_pdf")


def test_i3_a_truncated_pdf_is_refused() -> None:
    whole = _pdf()
    assert PypdfInspector().inspect(whole[: len(whole) // 2]) == RefusedDocument("not_pdf")
