"""make run's secrets (rule 4: no secrets in the repo, none readable by other local users):
generated once into the run folder, readable by their owner only from the first byte."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gerbang_ops.local_secrets import NAMES, load_or_create


def test_issue2_make_runs_secrets_are_made_once_private_and_kept(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "run" / "secrets.env"
    created: list[int] = []
    opened = os.open

    def watching(file: object, flags: int, mode: int = 0o777, *args: object) -> int:
        if flags & os.O_CREAT:
            created.append(mode)
        return opened(file, flags, mode, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", watching)
    first = load_or_create(path)
    assert set(NAMES) <= set(first) and created == [0o600]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secrets.env"]  # no staging left
    assert load_or_create(path) == first
