"""A ticked box as a form sends it (the terms of O4 and I3), pure."""

from __future__ import annotations

_TICKED = ("y", "yes", "on", "true", "1")


def is_ticked(raw: str | None) -> bool:
    return isinstance(raw, str) and raw.strip().lower() in _TICKED
