"""Issue 2 item 8: provisioning the four realms from scratch, then a no-op re-apply.

Baseline: Keycloak's own realm import of the same realms (see ``realm_import``), on the same
server in the same run, under prefixed names. After the import, the provisioner's planner is
run against the imported realms: the number of changes it still finds says how faithful the
baseline is (0 = the import produced exactly what the files declare).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.environment import Stack
from bench.realm_import import Defaults, realm_representation, renamed
from bench.report import Row, Table, fmt_ratio, fmt_seconds
from bench.stats import ratio
from gerbang_ops.paths import REALM_CONFIG, THEMES
from gerbang_ops.provision.cli import load_and_check, provision
from gerbang_ops.provision.files import RealmSpec

SCRATCH_REALM = "bench-scratch"
BASELINE_PREFIX = "import-"


@dataclass(frozen=True)
class Run:
    seconds: float
    requests: int
    writes: int
    changes: int


def load_specs(stack: Stack) -> list[RealmSpec]:
    return load_and_check(REALM_CONFIG, THEMES, None, stack.realm_env)


def _provision(stack: Stack, specs: list[RealmSpec]) -> Run:
    api = stack.admin_api()  # logs in before the clock starts, like the CLI's own timing
    started = time.perf_counter()
    changes = provision(api, specs, apply=True, out=lambda _line: None)
    return Run(time.perf_counter() - started, api.requests_made, api.writes_made, len(changes))


def _import(stack: Stack, specs: list[RealmSpec], defaults: Defaults) -> Run:
    api = stack.admin_api()
    reps = [realm_representation(renamed(s, BASELINE_PREFIX + s.name), defaults) for s in specs]
    started = time.perf_counter()
    for rep in reps:
        api.post("", rep)
    return Run(time.perf_counter() - started, api.requests_made, api.writes_made, len(reps))


def _warm_up(stack: Stack) -> Defaults:
    """Create a throw-away realm first: the first realm a fresh JVM creates pays for class
    loading and JIT, which should not be charged to whichever side happens to go first.
    Its export also gives the built-in flows the baseline import needs."""
    api = stack.admin_api()
    api.post("", {"realm": SCRATCH_REALM, "enabled": True})
    defaults = Defaults.read(api, SCRATCH_REALM)
    api.delete(f"/{SCRATCH_REALM}")
    api.post("", {"realm": SCRATCH_REALM, "enabled": True})  # a second time, warmer
    api.delete(f"/{SCRATCH_REALM}")
    return defaults


def run(stack: Stack, log: Callable[[str], None] = print) -> tuple[Table, list[RealmSpec]]:
    specs = load_specs(stack)
    names = ", ".join(s.name for s in specs)
    defaults = _warm_up(stack)

    log(f"provisioning {names} from scratch ...")
    scratch = _provision(stack, specs)
    log(f"  {scratch.changes} changes, {scratch.requests} requests, {scratch.writes} writes "
        f"in {scratch.seconds:.2f}s")
    noop = _provision(stack, specs)
    log(f"  re-apply: {noop.changes} changes, {noop.requests} requests, {noop.writes} writes "
        f"in {noop.seconds:.2f}s")

    log("baseline: Keycloak realm import of the same realms ...")
    imported = _import(stack, specs, defaults)
    log(f"  {imported.requests} requests in {imported.seconds:.2f}s")
    # Fidelity of the baseline: what would the provisioner still change on the imports?
    check_api = stack.admin_api()
    left = provision(check_api, [renamed(s, BASELINE_PREFIX + s.name) for s in specs],
                     apply=False, out=lambda line: log(f"  import differs: {line}"))

    table = Table(
        title=f"Provisioning {len(specs)} realms ({names})",
        gerbang_label="provision apply", baseline_label="Keycloak realm import")
    table.rows += [
        Row("from scratch: time", fmt_seconds(scratch.seconds), fmt_seconds(imported.seconds),
            fmt_ratio(ratio(scratch.seconds, imported.seconds))),
        Row("from scratch: HTTP requests", str(scratch.requests), str(imported.requests),
            fmt_ratio(ratio(scratch.requests, imported.requests))),
        Row("from scratch: writes", str(scratch.writes), str(imported.writes),
            fmt_ratio(ratio(scratch.writes, imported.writes))),
        Row("from scratch: changes applied", str(scratch.changes), "-"),
        Row("no-op re-apply: time", fmt_seconds(noop.seconds), "not offered"),
        Row("no-op re-apply: HTTP requests", str(noop.requests), "-"),
        Row("no-op re-apply: writes", str(noop.writes), "-"),
    ]
    table.notes += [
        "provision apply reads the live state, plans and writes resource by resource over the "
        "admin REST API (each flow execution is its own call); the import is one POST per realm "
        "with a representation built from the same files.",
        f"the import was checked with the provisioner's planner: {len(left)} difference(s) "
        "left on the imported realms" + (" (listed in the run's log)" if left else "") + ".",
        "Keycloak's import only creates; a re-apply, drift correction or removal has no import "
        "counterpart (a realm import of an existing realm fails with 409).",
        "requests exclude the admin login (one token request per run on either side).",
    ]
    return table, specs
