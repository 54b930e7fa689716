"""Fetching the Keycloak distribution: a second start downloads nothing; a bad zip is refused."""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from gerbang_ops.keycloak import KEYCLOAK_VERSION, distribution
from gerbang_ops.keycloak.distribution import DistributionError, ensure_distribution
from support.threads import run_together


def _no_maven(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
    raise AssertionError("Maven must not run when the archive is already cached")


def _fake_archive(cache: Path, version: str, with_launcher: bool = True,
                  pins: dict[str, str] | None = None) -> Path:
    archive = cache / "downloads" / f"keycloak-quarkus-dist-{version}.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as zf:
        if with_launcher:
            zf.writestr(f"keycloak-{version}/bin/kc.sh", "#!/bin/sh\n")
        zf.writestr(f"keycloak-{version}/version.txt", version)
    if pins is not None:
        pins[version] = hashlib.sha256(archive.read_bytes()).hexdigest()
    return archive


def test_second_start_reuses_the_cache_without_download(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pinned: dict[str, str]) -> None:
    monkeypatch.setattr(distribution.subprocess, "run", _no_maven)
    _fake_archive(tmp_path, "1.0.0", pins=pinned)
    home = ensure_distribution("1.0.0", tmp_path)
    assert (home / "bin" / "kc.sh").stat().st_mode & 0o111
    (tmp_path / "downloads" / "keycloak-quarkus-dist-1.0.0.zip").unlink()
    assert ensure_distribution("1.0.0", tmp_path) == home


def test_corrupt_archive_is_removed_with_a_clear_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pinned: dict[str, str]) -> None:
    monkeypatch.setattr(distribution.subprocess, "run", _no_maven)
    archive = _fake_archive(tmp_path, "1.0.0")
    archive.write_bytes(archive.read_bytes()[:40])
    pinned["1.0.0"] = hashlib.sha256(archive.read_bytes()).hexdigest()
    with pytest.raises(DistributionError, match="not a valid zip"):
        ensure_distribution("1.0.0", tmp_path)
    assert not archive.exists()


def test_archive_without_launcher_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pinned: dict[str, str]) -> None:
    monkeypatch.setattr(distribution.subprocess, "run", _no_maven)
    _fake_archive(tmp_path, "1.0.0", with_launcher=False, pins=pinned)
    with pytest.raises(DistributionError, match=r"does not contain keycloak-1\.0\.0/bin/kc\.sh"):
        ensure_distribution("1.0.0", tmp_path)


def test_version_is_pinned_to_a_26_release_with_indonesian_messages() -> None:
    major, minor, _patch = (int(p) for p in KEYCLOAK_VERSION.split("."))
    assert (major, minor) >= (26, 6)


def test_issue2_an_archive_other_than_the_pinned_one_is_refused_and_removed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pinned: dict[str, str]) -> None:
    """A mirror or a cache serving other bytes than the pinned release (rule 4)."""
    monkeypatch.setattr(distribution.subprocess, "run", _no_maven)
    archive = _fake_archive(tmp_path, "1.0.0", pins=pinned)
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("keycloak-1.0.0/providers/extra.jar", "not ours")
    with pytest.raises(DistributionError, match="SHA-256 differs"):
        ensure_distribution("1.0.0", tmp_path)
    assert not archive.exists()


def test_issue2_a_version_without_a_pinned_digest_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(distribution.subprocess, "run", _no_maven)
    _fake_archive(tmp_path, "1.0.0")
    with pytest.raises(DistributionError, match="no SHA-256 is pinned"):
        ensure_distribution("1.0.0", tmp_path)


def test_issue2_the_pinned_version_has_a_digest() -> None:
    from gerbang_ops.keycloak import ARCHIVE_SHA256

    assert len(ARCHIVE_SHA256[KEYCLOAK_VERSION]) == 64


def _slow_maven(source: Path, fetches: list[str]
                ) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Maven writing the zip in two halves, a moment apart (other callers look meanwhile);
    kc.sh build succeeds at once."""
    import threading

    content = source.read_bytes()

    def run(command: list[str], **_kwargs: object) -> subprocess.CompletedProcess[str]:
        if command[0] == "mvn":
            fetches.append("mvn")
            output = Path(next(a for a in command if a.startswith("-DoutputDirectory="))
                          .split("=", 1)[1])
            with (output / source.name).open("wb") as zip_file:
                zip_file.write(content[:len(content) // 2])
                zip_file.flush()
                threading.Event().wait(0.2)
                zip_file.write(content[len(content) // 2:])
        return subprocess.CompletedProcess(command, 0, "", "")

    return run


def _at_once(*calls: Callable[[], Path]) -> tuple[list[Path], list[BaseException]]:
    homes: list[Path] = []
    errors: list[BaseException] = []
    pending = list(calls)

    def one() -> None:
        call = pending.pop()
        try:
            homes.append(call())
        except BaseException as exc:  # reported by the caller's assertion
            errors.append(exc)

    run_together(one, times=len(calls))
    return homes, errors


def test_issue2_two_first_starts_at_once_fetch_and_unpack_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pinned: dict[str, str]) -> None:
    """Two test workers on a machine without the zip: the second read the first one's zip
    while Maven was still writing it, found the digest wrong and removed it."""
    fetches: list[str] = []
    monkeypatch.setattr(distribution.shutil, "which", lambda _name: "/usr/bin/mvn")
    monkeypatch.setattr(distribution.subprocess, "run", _slow_maven(
        _fake_archive(tmp_path / "source", "1.0.0", pins=pinned), fetches))
    cache = tmp_path / "cache"
    homes, errors = _at_once(*[lambda: ensure_distribution("1.0.0", cache, log=lambda _m: None)]
                             * 2)
    assert errors == [] and fetches == ["mvn"]
    assert homes[0] == homes[1] and (homes[0] / "bin" / "kc.sh").exists()


def test_issue2_a_dev_start_and_a_production_build_at_once_fetch_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pinned: dict[str, str]) -> None:
    """make run beside make test's cluster: each holds a lock of its own tree, so only the
    download's own lock keeps one from reading the zip the other is still fetching."""
    from gerbang_ops.keycloak.distribution import ensure_built

    fetches: list[str] = []
    monkeypatch.setattr(distribution.shutil, "which", lambda _name: "/usr/bin/mvn")
    monkeypatch.setattr(distribution.subprocess, "run", _slow_maven(
        _fake_archive(tmp_path / "source", "1.0.0", pins=pinned), fetches))
    cache = tmp_path / "cache"
    homes, errors = _at_once(
        lambda: ensure_distribution("1.0.0", cache, log=lambda _m: None),
        lambda: ensure_built(["--db=postgres"], "1.0.0", cache, log=lambda _m: None))
    assert errors == [] and fetches == ["mvn"] and len(set(homes)) == 2
