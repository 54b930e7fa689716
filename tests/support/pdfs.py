"""PDFs shaped as hostile uploads are shaped."""

from __future__ import annotations

import io

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
