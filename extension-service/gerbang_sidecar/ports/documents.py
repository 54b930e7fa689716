"""Uploaded documents as services ask about them: is this a plain, safe PDF (I3)?

Implementation: adapters/documents/pdf.py (pypdf). Whatever the verdict, nothing of the
document's content is returned or logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

RefusalReason = Literal["not_pdf", "encrypted", "active_content", "embedded_files"]


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
