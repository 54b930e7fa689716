"""Where the repository keeps things, found from this file rather than the working directory."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
REALM_CONFIG = REPO_ROOT / "realm-config"
THEMES = REPO_ROOT / "themes"


def cache_dir() -> Path:
    """The git-ignored cache for downloads and runtime data (``GERBANG_CACHE`` overrides)."""
    path = Path(os.environ.get("GERBANG_CACHE", REPO_ROOT / ".cache"))
    path.mkdir(parents=True, exist_ok=True)
    return path
