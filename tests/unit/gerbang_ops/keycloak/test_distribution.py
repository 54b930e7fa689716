"""Fetching the Keycloak distribution: a second start downloads nothing; a bad zip is refused."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from gerbang_ops.keycloak import KEYCLOAK_VERSION, distribution
from gerbang_ops.keycloak.distribution import DistributionError, ensure_distribution


def _no_maven(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
    raise AssertionError("Maven must not run when the archive is already cached")


def _fake_archive(cache: Path, version: str, with_launcher: bool = True) -> Path:
    archive = cache / "downloads" / f"keycloak-quarkus-dist-{version}.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as zf:
        if with_launcher:
            zf.writestr(f"keycloak-{version}/bin/kc.sh", "#!/bin/sh\n")
        zf.writestr(f"keycloak-{version}/version.txt", version)
    return archive


def test_second_start_reuses_the_cache_without_download(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(distribution.subprocess, "run", _no_maven)
    _fake_archive(tmp_path, "1.0.0")
    home = ensure_distribution("1.0.0", tmp_path)
    assert (home / "bin" / "kc.sh").stat().st_mode & 0o111
    (tmp_path / "downloads" / "keycloak-quarkus-dist-1.0.0.zip").unlink()
    assert ensure_distribution("1.0.0", tmp_path) == home


def test_corrupt_archive_is_removed_with_a_clear_error(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(distribution.subprocess, "run", _no_maven)
    archive = _fake_archive(tmp_path, "1.0.0")
    archive.write_bytes(archive.read_bytes()[:40])
    with pytest.raises(DistributionError, match="not a valid zip"):
        ensure_distribution("1.0.0", tmp_path)
    assert not archive.exists()


def test_archive_without_launcher_is_refused(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(distribution.subprocess, "run", _no_maven)
    _fake_archive(tmp_path, "1.0.0", with_launcher=False)
    with pytest.raises(DistributionError, match=r"does not contain keycloak-1\.0\.0/bin/kc\.sh"):
        ensure_distribution("1.0.0", tmp_path)


def test_version_is_pinned_to_a_26_release_with_indonesian_messages() -> None:
    major, minor, _patch = (int(p) for p in KEYCLOAK_VERSION.split("."))
    assert (major, minor) >= (26, 6)
