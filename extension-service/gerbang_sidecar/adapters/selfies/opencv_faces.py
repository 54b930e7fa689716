"""The selfie inspector on Pillow and OpenCV (B4).

Pillow decodes (JPEG, PNG or WebP only, with its decompression-bomb limit lowered to what a
phone makes; a JPEG at a reduced DCT scale when it is far larger than what is kept), applies
the EXIF orientation, and re-encodes as a baseline JPEG with no metadata
at all: EXIF, GPS and ICC are dropped because they are never copied. OpenCV's frontal-face Haar
cascade, shipped inside ``opencv-python-headless``, then counts faces on a grey copy at most
640 px wide; exactly one face of a fair size must be there. The Dukcapil face match (the
registry) decides whether it is the right person.
"""

from __future__ import annotations

import io
import logging
import warnings
from functools import cached_property

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from gerbang_sidecar.ports.selfies import MAX_SELFIE_BYTES, CleanSelfie, RefusedSelfie

log = logging.getLogger(__name__)

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MIN_EDGE = 240  # smaller photos carry too little of a face to compare
MAX_PIXELS = 50_000_000  # above any phone camera; Pillow refuses bigger (bomb guard)
MAX_EDGE = 1280  # what is kept: enough for a face match, a tenth of the upload's size
DETECTION_WIDTH = 640
# A face must fill a fair part of the frame: a passer-by in the background is not "a face".
MIN_FACE_FRACTION = 0.12
JPEG_QUALITY = 88


class OpenCvSelfieInspector:
    def __init__(self, cascade: str = "haarcascade_frontalface_default.xml") -> None:
        self._cascade_file = cascade

    @cached_property
    def _detector(self) -> cv2.CascadeClassifier:
        # Loaded on first use, not at import (no import-time side effects).
        detector = cv2.CascadeClassifier(cv2.data.haarcascades + self._cascade_file)
        if detector.empty():
            raise RuntimeError("the face cascade could not be loaded")
        return detector

    def inspect(self, content: bytes) -> CleanSelfie | RefusedSelfie:
        if len(content) > MAX_SELFIE_BYTES:
            return RefusedSelfie("too_large")
        image = _decode(content)
        if image is None:
            return RefusedSelfie("not_image")
        if min(image.size) < MIN_EDGE:
            return RefusedSelfie("too_small")
        image.thumbnail((MAX_EDGE, MAX_EDGE))
        faces = self.count_faces(image)
        if faces == 0:
            return RefusedSelfie("no_face")
        if faces > 1:
            return RefusedSelfie("several_faces")
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        return CleanSelfie(out.getvalue(), image.width, image.height)

    def count_faces(self, image: Image.Image) -> int:
        grey = image.convert("L")
        if grey.width > DETECTION_WIDTH:
            grey = grey.resize((DETECTION_WIDTH,
                                round(grey.height * DETECTION_WIDTH / grey.width)))
        pixels = np.asarray(grey)
        smallest = max(24, int(min(pixels.shape) * MIN_FACE_FRACTION))
        found = self._detector.detectMultiScale(pixels, scaleFactor=1.1, minNeighbors=5,
                                                minSize=(smallest, smallest))
        return len(found)


def _decode(content: bytes) -> Image.Image | None:
    """The photo, upright and in RGB, or None for anything that is not a whole image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=ACCEPTED_FORMATS) as opened:
                if opened.width * opened.height > MAX_PIXELS:
                    return None
                # JPEG only: decode at the smallest DCT scale still at least MAX_EDGE on
                # both sides -- a 12 MP photo decodes at a quarter of the work.
                opened.draft("RGB", (MAX_EDGE, MAX_EDGE))
                opened.load()
                upright = ImageOps.exif_transpose(opened)
                return upright.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        log.info("selfie refused: unreadable (%s)", type(exc).__name__)
        return None
