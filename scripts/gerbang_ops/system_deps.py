"""Install the Debian packages the suite and the local stack need, when they are missing.

Chromium drives the browser tests, PostgreSQL's server runs the storage tests on a second
database, a JDK and Maven fetch and run Keycloak, poppler's pdfsig checks signed PDFs (with
NSS's certutil for a database that trusts our root), nginx runs the production proxy
configuration. As root with apt-get we install what is missing;
otherwise we say what to install and let the run fail where it needs it.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import subprocess
import sys

# Debian package -> how we know it is there.
NEEDED = {
    # A minimal Debian Python lacks ensurepip, and `python3 -m venv` then fails.
    "python3-venv": lambda: importlib.util.find_spec("ensurepip") is not None,
    "chromium": lambda: shutil.which("chromium") is not None,
    "postgresql": lambda: bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")),
    "default-jdk-headless": lambda: shutil.which("java") is not None,
    "maven": lambda: shutil.which("mvn") is not None,
    # pdfsig validates signed PDFs as an independent client (X7).
    "poppler-utils": lambda: shutil.which("pdfsig") is not None,
    # certutil: an NSS database trusting our root, so pdfsig judges the signer's certificate.
    "libnss3-tools": lambda: shutil.which("certutil") is not None,
    # deploy/proxy/nginx.conf runs for real in tests/integration/proxy.
    "nginx-light": lambda: shutil.which("nginx") is not None or os.path.exists("/usr/sbin/nginx"),
}


def missing() -> list[str]:
    return [name for name, present in NEEDED.items() if not present()]


def main() -> int:
    absent = missing()
    if not absent:
        return 0
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(f"Missing system packages: {' '.join(absent)} (install them with your package "
              "manager; tests that need them will fail or skip).", file=sys.stderr)
        return 0
    print(f"Installing system packages: {' '.join(absent)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *absent],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
