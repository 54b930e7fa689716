"""B4, X3: the selfie inspector -- whole images only, re-encoded without metadata, exactly one
face of a fair size, size limits."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from gerbang_sidecar.adapters.selfies.opencv_faces import OpenCvSelfieInspector
from gerbang_sidecar.ports.selfies import MAX_SELFIE_BYTES, CleanSelfie, RefusedSelfie

FACE = Path(__file__).resolve().parents[4] / "fixtures" / "faces" / "astronaut.png"
inspector = OpenCvSelfieInspector()


def _jpeg(image: Image.Image, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", **options)
    return out.getvalue()


def test_b4_one_face_passes_re_encoded_without_exif_or_gps() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "S", 2: (6.0, 10.0, 30.0)}
    photo = _jpeg(Image.open(FACE).convert("RGB"), exif=exif.tobytes())
    verdict = inspector.inspect(photo)
    assert isinstance(verdict, CleanSelfie)
    assert verdict.jpeg[:3] == b"\xff\xd8\xff" and b"Exif" not in verdict.jpeg
    assert not Image.open(io.BytesIO(verdict.jpeg)).getexif()


def test_b4_a_phone_sized_photo_is_scaled_down_to_what_is_kept() -> None:
    big = Image.open(FACE).convert("RGB").resize((3000, 3000))
    verdict = inspector.inspect(_jpeg(big, quality=95))
    assert isinstance(verdict, CleanSelfie) and max(verdict.width, verdict.height) == 1280


def test_b4_two_faces_no_face_and_non_images_are_refused() -> None:
    face = Image.open(FACE).convert("RGB")
    pair = Image.new("RGB", (1024, 512))
    pair.paste(face, (0, 0))
    pair.paste(face, (512, 0))
    assert inspector.inspect(_jpeg(pair)) == RefusedSelfie("several_faces")
    assert inspector.inspect(_jpeg(Image.new("RGB", (640, 480), (90, 90, 90)))) == \
        RefusedSelfie("no_face")
    assert inspector.inspect(b"%PDF-1.7 not a photo") == RefusedSelfie("not_image")
    assert inspector.inspect(_jpeg(face)[:2000]) == RefusedSelfie("not_image")  # truncated


def test_b4_size_limits() -> None:
    assert inspector.inspect(_jpeg(Image.open(FACE).convert("RGB").resize((200, 200)))) == \
        RefusedSelfie("too_small")
    assert inspector.inspect(b"\xff" * (MAX_SELFIE_BYTES + 1)) == RefusedSelfie("too_large")


def test_b4_a_decompression_bomb_is_refused_without_decoding_it() -> None:
    out = io.BytesIO()
    Image.new("1", (12000, 12000)).save(out, format="PNG")  # 144 MP in a few kB
    assert inspector.inspect(out.getvalue()) == RefusedSelfie("not_image")
