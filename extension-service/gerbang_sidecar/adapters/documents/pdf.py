"""The PDF inspector on pypdf (I3): parse the whole document, refuse what a reviewer's viewer
should never run.

Refused: anything pypdf cannot read as a PDF (a renamed image, a truncated file), an
encrypted PDF (the reviewer could not read it, and we could not check it), JavaScript or
launch/URI actions anywhere in the catalog or the pages (``/JS``, ``/JavaScript``,
``/Launch``, ``/OpenAction`` with either), and embedded or attached files.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from gerbang_sidecar.ports.documents import PlainPdf, RefusedDocument

log = logging.getLogger(__name__)

_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/Launch", "/RichMedia", "/AA"})
_EMBEDDED_KEYS = frozenset({"/EmbeddedFiles", "/EmbeddedFile", "/FileAttachment"})
# Enough for any real power of attorney; bounds the walk over a hostile object graph.
_MAX_OBJECTS = 200_000


class PypdfInspector:
    def inspect(self, content: bytes) -> PlainPdf | RefusedDocument:
        if content.lstrip()[:5] != b"%PDF-":
            return RefusedDocument("not_pdf")
        try:
            reader = PdfReader(io.BytesIO(content), strict=False)
            if reader.is_encrypted:
                return RefusedDocument("encrypted")
            pages = len(reader.pages)
            keys = set(_keys(reader.trailer["/Root"]))
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError,
                RecursionError, OSError) as exc:
            log.info("uploaded document refused: unreadable (%s)", type(exc).__name__)
            return RefusedDocument("not_pdf")
        if pages == 0:
            return RefusedDocument("not_pdf")
        if keys & _EMBEDDED_KEYS:
            return RefusedDocument("embedded_files")
        if keys & _ACTIVE_KEYS:
            return RefusedDocument("active_content")
        return PlainPdf(pages=pages)


def _keys(root: Any) -> Iterator[str]:
    """Every dictionary key reachable from the catalog, each object visited once."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            node = node.get_object()
        visited += 1
        if visited > _MAX_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(node, DictionaryObject):
            for key, value in node.items():
                yield str(key)
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
