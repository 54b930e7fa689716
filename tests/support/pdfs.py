"""PDFs shaped as hostile uploads are shaped."""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader


def empty_revisions(pdf: bytes, count: int) -> bytes:
    """``pdf`` saved over ``count`` times without a change: an xref section and a trailer
    each, about 100 bytes."""
    reader = PdfFileReader(io.BytesIO(pdf))
    size, root = int(reader.trailer["/Size"]), reader.trailer.raw_get("/Root").idnum
    previous = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    out = bytearray(pdf)
    for _ in range(count):
        start = len(out)
        out += (b"xref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size %d /Root %d 0 R /Prev %d >>"
                b"\nstartxref\n%d\n%%%%EOF\n" % (size, root, previous, start))
        previous = start
    return bytes(out)


def orphan_objects(pdf: bytes, count: int) -> bytes:
    """``pdf`` with one more revision writing ``count`` small dictionaries nothing refers
    to: the diff analysis after a signature goes through each of them."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    for n in range(count):
        writer.add_object(generic.DictionaryObject(
            {generic.NameObject("/A"): generic.NumberObject(n)}))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
