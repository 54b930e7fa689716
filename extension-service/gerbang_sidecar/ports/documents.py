"""Uploaded documents as services ask about them: is this a plain, safe PDF (I3, B11), or a
whole image (B11's scans)?

Implementations: adapters/documents/pdf.py (pypdf), adapters/documents/images.py (Pillow).
Whatever the verdict, nothing of the PDF's content is returned or logged; an image comes back
only as its clean re-encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

RefusalReason = Literal["not_pdf", "encrypted", "active_content", "embedded_files",
                        "not_image"]


@dataclass(frozen=True)
class PlainPdf:
    pages: int


@dataclass(frozen=True)
class RefusedDocument:
    reason: RefusalReason


class PdfInspector(Protocol):
    def inspect(self, content: bytes) -> PlainPdf | RefusedDocument:
        """A real, parseable PDF, not encrypted, without JavaScript, launch actions or
        embedded files -- or why not."""
        ...


@dataclass(frozen=True)
class CleanImage:
    """A scan or photo re-encoded without metadata (nothing of the upload's bytes kept)."""

    content: bytes
    media_type: str


class ImageInspector(Protocol):
    def inspect(self, content: bytes) -> CleanImage | RefusedDocument:
        """A whole JPEG or PNG, re-encoded -- or why not."""
        ...
