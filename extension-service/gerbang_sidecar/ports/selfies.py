"""Selfies as services ask about them (B4, B9, B17, B22): is this one photo of one face, and
what may be kept of it?

Implementation: adapters/selfies/opencv_faces.py (Pillow, OpenCV). The verdict carries a clean
re-encoding of the photo -- never the uploaded bytes -- so nothing the camera or an attacker put
in the file (EXIF, GPS, trailing data) is stored or passed on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

RefusalReason = Literal["not_image", "too_small", "too_large", "no_face", "several_faces"]
MAX_SELFIE_BYTES = 5 * 1024 * 1024  # a 12 MP phone JPEG fits; the request is cut above it


@dataclass(frozen=True)
class CleanSelfie:
    jpeg: bytes  # re-encoded, metadata-free, at most MAX_EDGE on its longer side
    width: int
    height: int


@dataclass(frozen=True)
class RefusedSelfie:
    reason: RefusalReason


class SelfieInspector(Protocol):
    def inspect(self, content: bytes) -> CleanSelfie | RefusedSelfie:
        """Decode, re-encode without metadata, and find exactly one face."""
        ...
