"""B9: how long a fourth OTP device lives before the cap removes the oldest, on the real
Keycloak, in one run.

Each sample: a civil servant with three devices (made untimed), then an administrator adds a
fourth through the Admin API and the clock starts. Gerbang's side is the reconciler's path
-- the device was added outside the sidecar, so the sidecar learns of it from Keycloak's
events: read events, list the user's devices, remove the oldest -- run in a loop until three
are left. The baseline is the sidecar's own path, where the sidecar knows the user at once:
list the devices and remove the oldest. The ratio is what reading the events costs; in the
outbox process the reconciler runs every ``OTP_DEVICES_SECONDS`` (5 s), which adds up to that
much to the figure.
"""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.environment import Stack
from bench.report import Row, Table, fmt_ratio, fmt_seconds
from bench.runner import Bounds
from bench.stats import percentile
from gerbang_ops.otp_device import new_key, totp_credential
from gerbang_ops.provision.keycloak_api import KeycloakApi
from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.adapters.storage.crypto import StorageKeys
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.migrations import upgrade
from gerbang_sidecar.ports.clock import utc_now
from gerbang_sidecar.services.bsre.otp_devices import OtpDeviceCap, OtpDeviceReconciler
from gerbang_sidecar.wiring import OTP_DEVICES_SECONDS

DEADLINE_SECONDS = 30.0


def _user_with_three(api: KeycloakApi) -> dict:
    email = f"bench.otp.{secrets.token_hex(5)}@example.go.id"
    api.post("/bsre/users", {"username": email, "email": email, "enabled": True,
                             "emailVerified": True, "firstName": "Bench",
                             "credentials": [totp_credential(new_key(), "HP 1")]})
    user = api.get("/bsre/users", username=email, exact="true")[0]
    for n in (2, 3):
        _add(api, user, f"HP {n}")
    return user


def _add(api: KeycloakApi, user: dict, label: str) -> None:
    api.put(f"/bsre/users/{user['id']}", {"username": user["username"], "enabled": True,
                                          "credentials": [totp_credential(new_key(), label)]})


def run(stack: Stack, bounds: Bounds, log: Callable[[str], None] = print) -> Table:
    samples = max(5, min(20, bounds.count // 4))
    api = stack.admin_api()
    users = HttpKeycloakUsers(stack.keycloak.url, "gerbang-sidecar",
                              stack.realm_env["SIDECAR_CLIENT_SECRET"], timeout=10)
    log(f"otp devices: {samples} fourth devices per side ...")
    with tempfile.TemporaryDirectory(prefix="gerbang-bench-otp-") as folder:
        database = f"sqlite:///{Path(folder) / 'sidecar.sqlite3'}"
        upgrade(database)
        storage = Storage.create(database, StorageKeys.from_settings(
            secrets.token_urlsafe(32), secrets.token_urlsafe(32)))
        cap = OtpDeviceCap(storage, users, utc_now)
        reconciler = OtpDeviceReconciler(storage, users, cap, utc_now)
        reconciled: list[float] = []
        direct: list[float] = []
        polls: list[int] = []
        try:
            for _ in range(samples):
                for side in ("reconciler", "sidecar"):
                    user = _user_with_three(api)
                    reconciler.run()  # the set-up's own events are not the sample's
                    _add(api, user, "HP 4")
                    began = time.perf_counter()
                    if side == "sidecar":
                        cap.enforce(user["id"], reason="bench")
                        direct.append(time.perf_counter() - began)
                        continue
                    runs = 0
                    while len(users.otp_devices("bsre", user["id"])) > 3:
                        if time.perf_counter() - began > DEADLINE_SECONDS:
                            raise RuntimeError("the reconciler never removed the device")
                        reconciler.run()
                        runs += 1
                    reconciled.append(time.perf_counter() - began)
                    polls.append(runs)
        finally:
            storage.dispose()
    table = Table(title="OTP device cap (B9): a fourth device until three are left",
                  gerbang_label="reconciler (added outside the sidecar)",
                  baseline_label="sidecar's own path (knows the user)")
    for name, pct in (("p50", 50), ("p95", 95)):
        g, b = percentile(reconciled, pct), percentile(direct, pct)
        table.rows.append(Row(name, fmt_seconds(g), fmt_seconds(b), fmt_ratio(g / b)))
    table.notes += [
        f"{samples} samples per side on one Keycloak; the reconciler needed "
        f"{statistics.median(polls):.0f} pass(es) at the median (a pass reads the realm's "
        "credential and admin events of the day, then fixes each user named).",
        f"in production the chore runs every {OTP_DEVICES_SECONDS:.0f} s, so a fourth device "
        "lives up to that much longer; the figure is the work once the chore runs.",
    ]
    return table
