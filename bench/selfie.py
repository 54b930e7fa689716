"""B4: the selfie path for a 3 MB phone photo beside Pillow's bare decode, in one run.

Gerbang's side is what the server does with an upload before the face match: decode
(Pillow, EXIF orientation), scale to what is kept, face detection (OpenCV's Haar cascade),
re-encode without metadata, and the encryption the storage applies (AES-GCM under the PII
key). The baseline is ``Image.open(...).load()`` of the same bytes: the least any server
must do with a photo. The photo is the tests' public-domain face scaled to 12 MP with grain,
saved as a JPEG of about 3 MB with EXIF and GPS, as a phone sends it.
"""

from __future__ import annotations

import io
import random
import secrets
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from bench.report import Row, Table, fmt_ratio, fmt_seconds
from bench.runner import Bounds, timed_pair
from gerbang_sidecar.adapters.selfies.opencv_faces import OpenCvSelfieInspector
from gerbang_sidecar.adapters.storage.crypto import KeyRing
from gerbang_sidecar.ports.selfies import CleanSelfie

FACE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "faces" / "astronaut.png"
TARGET_BYTES = 3 * 1024 * 1024


def phone_photo() -> bytes:
    """About 3 MB of 4000x3000 JPEG with camera metadata."""
    image = Image.open(FACE).convert("RGB").resize((4000, 3000))
    noise = Image.effect_noise(image.size, 40).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "S", 2: (6.0, 10.0, random.random() * 60)}
    for quality in (90, 85, 80, 75, 70):
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=quality, exif=exif.tobytes())
        if out.tell() <= TARGET_BYTES * 1.15:
            return out.getvalue()
    return out.getvalue()


def run(bounds: Bounds, log: Callable[[str], None] = print) -> Table:
    photo = phone_photo()
    inspector = OpenCvSelfieInspector()
    keys = KeyRing.from_setting(secrets.token_urlsafe(32))

    def selfie_path(_: int) -> None:
        verdict = inspector.inspect(photo)
        assert isinstance(verdict, CleanSelfie)
        keys.encrypt(verdict.jpeg, "registration_documents.content")

    def pillow_decode(_: int) -> None:
        with Image.open(io.BytesIO(photo)) as image:
            image.load()

    count = max(10, min(40, bounds.count // 2))
    log(f"selfie: {count} uploads of {len(photo) / 1e6:.1f} MB per side ...")
    gerbang, baseline = timed_pair(
        selfie_path, pillow_decode,
        Bounds(count=count, warmup=2, max_seconds=bounds.max_seconds, block=5),
        ("selfie path", "Pillow decode"), log)
    table = Table(title="Selfie (B4): a 3 MB phone photo, server side",
                  gerbang_label="decode, scale, face detection, re-encode, encrypt",
                  baseline_label="Pillow decode only")
    table.rows += [
        Row("p50", fmt_seconds(gerbang.p50), fmt_seconds(baseline.p50),
            fmt_ratio(gerbang.p50 / baseline.p50)),
        Row("p95", fmt_seconds(gerbang.p95), fmt_seconds(baseline.p95),
            fmt_ratio(gerbang.p95 / baseline.p95)),
    ]
    table.notes += [
        f"the photo: {len(photo) / 1e6:.1f} MB, 4000x3000 JPEG with EXIF and GPS; the stored "
        "selfie is at most 1280 px on its longer side, without any metadata.",
        "the Dukcapil face match (a registry call over HTTP) is not part of either side.",
    ]
    return table
