"""Fetch, check and unpack the official Keycloak distribution from Maven Central.

The zip comes through Maven (``dependency:copy`` with strict checksums, so a corrupt
download fails the fetch), must have the SHA-256 pinned for its version
(``ARCHIVE_SHA256``), is tested entry by entry and unpacked atomically into the cache. A
second call finds the unpacked tree and downloads nothing.

Production mode runs a copy of its own, built once with ``kc.sh build`` for its build options
(``ensure_built``): dev mode re-augments the shared tree for ``start-dev``, and a server image
built for PostgreSQL must not be rebuilt under a running production node. The built copy is
keyed by version and build options, so a second call (or a second test run) builds nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from gerbang_ops.keycloak import ARCHIVE_SHA256, KEYCLOAK_VERSION
from gerbang_ops.paths import cache_dir

ARTIFACT = "org.keycloak:keycloak-quarkus-dist:{version}:zip"
_VERIFIED_MARKER = ".gerbang-verified"
_BUILT_MARKER = ".gerbang-built"
# How long ``kc.sh build`` may take (about 35 s here; minutes on a busy machine).
BUILD_TIMEOUT_SECONDS = 900


class DistributionError(RuntimeError):
    """The distribution could not be fetched or failed its checks."""


def keycloak_home(version: str = KEYCLOAK_VERSION, cache: Path | None = None) -> Path:
    """Where the unpacked distribution lives (it may not exist yet)."""
    return (cache or cache_dir()) / "keycloak" / f"keycloak-{version}"


def ensure_distribution(version: str = KEYCLOAK_VERSION, cache: Path | None = None,
                        log: Callable[[str], None] = print) -> Path:
    """Return the unpacked Keycloak home, fetching and unpacking it first when missing."""
    cache = cache or cache_dir()
    home = keycloak_home(version, cache)
    return _made_once(home, _VERIFIED_MARKER, lambda: _unpack(
        _checked_archive(version, cache, log), home, version))


def built_home(build_options: Sequence[str], version: str = KEYCLOAK_VERSION,
               cache: Path | None = None) -> Path:
    """Where the copy built with ``build_options`` lives (it may not exist yet)."""
    key = hashlib.sha256("\n".join([version, *build_options]).encode()).hexdigest()[:10]
    return (cache or cache_dir()) / "keycloak" / f"keycloak-{version}-built-{key}"


def ensure_built(build_options: Sequence[str], version: str = KEYCLOAK_VERSION,
                 cache: Path | None = None, log: Callable[[str], None] = print) -> Path:
    """A copy of the distribution on which ``kc.sh build <build_options>`` has run, for
    ``kc.sh start --optimized``; built on the first call only. Concurrent callers (two test
    runs) wait for one build under a file lock instead of building twice."""
    cache = cache or cache_dir()
    home = built_home(build_options, version, cache)

    def build() -> None:
        archive = _checked_archive(version, cache, log)
        log(f"Building Keycloak {version} for production ({' '.join(build_options)}) ...")
        _unpack(archive, home, version)  # replaces a copy whose build was interrupted
        _build(home, build_options)
        (home / _BUILT_MARKER).write_text("\n".join(build_options) + "\n")

    return _made_once(home, _BUILT_MARKER, build)


def _made_once(home: Path, marker: str, make: Callable[[], None]) -> Path:
    """``home``, made by ``make`` (which leaves ``marker`` in it) unless the marker is there.
    Concurrent callers (test workers, make run beside make test) wait for one make under a
    file lock instead of making it over each other."""
    if not (home / marker).exists():
        home.parent.mkdir(parents=True, exist_ok=True)
        with exclusive(home.parent / f".{home.name}.lock"):
            if not (home / marker).exists():
                make()
    return home


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (made if missing), across processes."""
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build(home: Path, build_options: Sequence[str]) -> None:
    # Only the options given here go into the image: KC_* variables of the caller's shell
    # would be persisted into it too.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KC_")}
    try:
        result = subprocess.run([str(home / "bin" / "kc.sh"), "build", *build_options],
                                cwd=home, env=env, capture_output=True, text=True,
                                timeout=BUILD_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired as exc:
        raise DistributionError(
            f"kc.sh build did not finish within {BUILD_TIMEOUT_SECONDS} s") from exc
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise DistributionError(f"kc.sh build {' '.join(build_options)} failed:\n{tail}")


def _checked_archive(version: str, cache: Path, log: Callable[[str], None]) -> Path:
    """The distribution's zip in the download cache, fetched first when missing."""
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    archive = downloads / f"keycloak-quarkus-dist-{version}.zip"
    # One fetch at a time, into a folder of its own and then renamed: a second caller never
    # reads (and, on a digest mismatch, removes) a zip that is still being written.
    with exclusive(downloads / f".{archive.name}.lock"):
        if not archive.exists():
            log(f"Fetching Keycloak {version} from Maven Central ...")
            with tempfile.TemporaryDirectory(dir=downloads) as staging:
                _maven_copy(version, Path(staging))
                (Path(staging) / archive.name).rename(archive)
        _check_digest(archive, version)
        _check_archive(archive, version)
    return archive


def _check_digest(archive: Path, version: str) -> None:
    expected = ARCHIVE_SHA256.get(version)
    if expected is None:
        raise DistributionError(f"no SHA-256 is pinned for Keycloak {version}: check the "
                                "download and add it to ARCHIVE_SHA256 (gerbang_ops/keycloak)")
    digest = hashlib.sha256()
    with archive.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        archive.unlink(missing_ok=True)
        raise DistributionError(f"{archive.name} is not the pinned Keycloak {version} "
                                "(SHA-256 differs); removed, run again")


def _maven_copy(version: str, destination: Path) -> None:
    if shutil.which("mvn") is None:
        raise DistributionError("Maven (mvn) is needed to fetch Keycloak; install it first.")
    command = [
        "mvn", "-B", "-q", "--strict-checksums", "dependency:copy",
        f"-Dartifact={ARTIFACT.format(version=version)}",
        f"-DoutputDirectory={destination}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise DistributionError(f"Maven could not fetch Keycloak {version}:\n{tail}")


def _check_archive(archive: Path, version: str) -> None:
    """CRC-test every entry and require the launcher, so a truncated zip never gets unpacked."""
    try:
        with zipfile.ZipFile(archive) as zf:
            broken = zf.testzip()
            names = set(zf.namelist())
    except zipfile.BadZipFile as exc:
        archive.unlink(missing_ok=True)
        raise DistributionError(f"{archive.name} is not a valid zip; removed, run again") from exc
    if broken is not None:
        archive.unlink(missing_ok=True)
        raise DistributionError(f"{archive.name} is corrupt at {broken}; removed, run again")
    if f"keycloak-{version}/bin/kc.sh" not in names:
        raise DistributionError(f"{archive.name} does not contain keycloak-{version}/bin/kc.sh")


def _unpack(archive: Path, home: Path, version: str) -> None:
    home.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home.parent) as staging:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
        unpacked = Path(staging) / f"keycloak-{version}"
        for script in (unpacked / "bin").glob("*.sh"):
            script.chmod(0o755)
        (unpacked / _VERIFIED_MARKER).write_text(archive.name)
        if home.exists():
            shutil.rmtree(home)
        unpacked.rename(home)
