"""Fetch, check and unpack the official Keycloak distribution from Maven Central.

The zip comes through Maven (``dependency:copy`` with strict checksums, so a corrupt or
tampered download fails the fetch), is tested entry by entry and unpacked atomically into
the cache. A second call finds the unpacked tree and downloads nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from gerbang_ops.keycloak import KEYCLOAK_VERSION
from gerbang_ops.paths import cache_dir

ARTIFACT = "org.keycloak:keycloak-quarkus-dist:{version}:zip"
_VERIFIED_MARKER = ".gerbang-verified"


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
    if (home / _VERIFIED_MARKER).exists():
        return home
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    archive = downloads / f"keycloak-quarkus-dist-{version}.zip"
    if not archive.exists():
        log(f"Fetching Keycloak {version} from Maven Central ...")
        _maven_copy(version, downloads)
    _check_archive(archive, version)
    _unpack(archive, home)
    return home


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


def _unpack(archive: Path, home: Path) -> None:
    home.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home.parent) as staging:
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
        unpacked = Path(staging) / home.name
        for script in (unpacked / "bin").glob("*.sh"):
            script.chmod(0o755)
        (unpacked / _VERIFIED_MARKER).write_text(archive.name)
        if home.exists():
            shutil.rmtree(home)
        unpacked.rename(home)
