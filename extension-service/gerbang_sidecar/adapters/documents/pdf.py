"""The PDF inspector on pypdf (I3): parse the whole document, refuse what a reviewer's viewer
should never run.

Refused: anything pypdf cannot read as a PDF (a renamed image, a truncated file), an
encrypted PDF (the reviewer could not read it, and we could not check it), embedded or
attached files, and active content anywhere in the catalog or the pages: JavaScript, XFA
forms, actions that start by themselves (``/AA``, an ``/OpenAction`` other than going to a
page of the document), and actions that send data out or open something else when
followed (launch, submit or import form data, go to another file, multimedia). A link to a
web or mail address (``/URI``, http, https or mailto only) is allowed where the reader
clicks it: letterheads carry them, and viewers ask before opening one.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from gerbang_sidecar.ports.documents import PlainPdf, RefusedDocument

log = logging.getLogger(__name__)

_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/Launch", "/RichMedia", "/AA", "/XFA"})
# Action types (an action dictionary's /S) that run code, send data or open other files.
_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR",
                             "/GoToE", "/Rendition", "/Sound", "/Movie", "/RichMediaExecute"})
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
            root = reader.trailer["/Root"]
            keys, actions, addresses = _names(root)
            opens_by_itself = _opens_by_itself(root.get_object())
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError,
                RecursionError, OSError) as exc:
            log.info("uploaded document refused: unreadable (%s)", type(exc).__name__)
            return RefusedDocument("not_pdf")
        if pages == 0:
            return RefusedDocument("not_pdf")
        if keys & _EMBEDDED_KEYS:
            return RefusedDocument("embedded_files")
        if keys & _ACTIVE_KEYS or actions & _ACTIVE_ACTIONS or opens_by_itself or \
                not all(_is_web_address(a) for a in addresses):
            return RefusedDocument("active_content")
        return PlainPdf(pages=pages)


def _names(root: Any) -> tuple[set[str], set[str], set[str]]:
    """Every dictionary key reachable from the catalog, every action type (the name under
    /S) and every link address (under /URI), each object visited once."""
    keys: set[str] = set()
    actions: set[str] = set()
    addresses: set[str] = set()
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
                keys.add(str(key))
                # Followed when indirect (``/S 12 0 R``): a viewer reads it that way too.
                named = value.get_object() if isinstance(value, IndirectObject) else value
                if key == "/S" and isinstance(named, NameObject):
                    actions.add(str(named))
                elif key == "/URI" and isinstance(named, str | bytes):
                    addresses.add(named if isinstance(named, str)
                                  else named.decode("latin-1"))
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return keys, actions, addresses


def _is_web_address(address: str) -> bool:
    """A link a reader may follow: http(s) or mail, never a file or a network share
    (``file://``, ``\\\\host\\share``), which would hand the reader's Windows
    credentials to whoever runs it."""
    return address.strip().lower().startswith(("https://", "http://", "mailto:"))


def _opens_by_itself(catalog: DictionaryObject) -> bool:
    """An /OpenAction that does more than show a page of this document (a destination
    array, or a /GoTo action)."""
    action = catalog.get("/OpenAction")
    if action is None:
        return False
    action = action.get_object()
    if isinstance(action, ArrayObject):
        return False
    return not (isinstance(action, DictionaryObject) and action.get("/S") == "/GoTo"
                and "/Next" not in action)
