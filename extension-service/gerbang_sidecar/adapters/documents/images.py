"""The image inspector on Pillow (B11's scanned forms and screenshots): a whole JPEG or PNG
within the pixel limit, re-encoded in its own format with no metadata; anything else is
refused."""

from __future__ import annotations

import io
import logging
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from gerbang_sidecar.ports.documents import CleanImage, RefusedDocument

log = logging.getLogger(__name__)

MAX_PIXELS = 50_000_000


class PillowImageInspector:
    def inspect(self, content: bytes) -> CleanImage | RefusedDocument:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(content), formats=("JPEG", "PNG")) as opened:
                    if opened.width * opened.height > MAX_PIXELS:
                        return RefusedDocument("not_image")
                    opened.load()
                    kind = opened.format or "PNG"
                    image = ImageOps.exif_transpose(opened).convert("RGB")
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
                Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            log.info("uploaded image refused: unreadable (%s)", type(exc).__name__)
            return RefusedDocument("not_image")
        out = io.BytesIO()
        if kind == "JPEG":
            image.save(out, format="JPEG", quality=90)
            return CleanImage(out.getvalue(), "image/jpeg")
        image.save(out, format="PNG", optimize=True)
        return CleanImage(out.getvalue(), "image/png")
