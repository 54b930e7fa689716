"""Files only their owner may read, from their first byte: a chmod after writing leaves a
moment in which the umask's 0644 shows what they hold."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """``text`` into ``path`` (0600), whole or not at all: written under a private name and
    renamed into place."""
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    os.replace(staging, path)
