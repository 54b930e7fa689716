"""Sex as encoded in NIK and NIP, shared so the two can be compared (B3)."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"
