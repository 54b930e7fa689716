"""Read realm-config/ into one desired state per realm.

Layout: ``realm-config/<realm>/`` holds ``realm.json``, ``roles.json``, ``groups.json``,
``user-profile.json``,
``service-accounts.json``, ``clients/*.json`` and ``flows/*.json``. Files in ``_common/``
apply to every realm: each is deep-merged under the realm's file at the same relative path
(objects merge key by key, lists of objects with a ``name`` merge by name, other lists and
values are replaced by the realm's).

``${UPPER_CASE}`` in a string is replaced by that environment variable, ``${NAME:-default}``
falls back to the default; ``${lowerCase}`` is a Keycloak message key and stays as written.
Provisioning supplies the placeholders in ``REALM_PLACEHOLDERS`` itself, for the realm being
read: ``${SIDECAR_REALM_CLIENT_SECRET}`` is that realm's ``gerbang-sidecar`` secret, derived
from ``SIDECAR_CLIENT_SECRET`` (the sidecar's ``adapters/keycloak/realm_secrets.py`` says why).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gerbang_ops.provision.problems import ConfigFileError, Problem
from gerbang_ops.provision.shapes import shape_problems
from gerbang_sidecar.adapters.keycloak.realm_secrets import realm_client_secret

COMMON = "_common"
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}")
# Placeholders with a value per realm: the environment variable each is derived from, and how
# (from its value and the realm's name).
REALM_PLACEHOLDERS: dict[str, tuple[str, Callable[[str, str], str]]] = {
    "SIDECAR_REALM_CLIENT_SECRET": ("SIDECAR_CLIENT_SECRET", realm_client_secret)}


@dataclass
class RealmSpec:
    """The desired state of one realm, with the file each resource came from."""

    name: str
    settings: dict[str, Any]
    roles: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    clients: list[dict[str, Any]] = field(default_factory=list)
    flows: list[dict[str, Any]] = field(default_factory=list)
    service_accounts: dict[str, Any] = field(default_factory=dict)
    user_profile: dict[str, Any] | None = None
    sources: dict[str, Path] = field(default_factory=dict)

    def source(self, key: str) -> str:
        path = self.sources.get(key)
        return str(path) if path else f"realm-config/{self.name}"


def realm_names(config_dir: Path) -> list[str]:
    return sorted(p.name for p in config_dir.iterdir()
                  if p.is_dir() and not p.name.startswith(("_", ".")))


def load_realms(config_dir: Path, environ: Mapping[str, str],
                only: list[str] | None = None) -> list[RealmSpec]:
    """Load every realm (or those named), raising ConfigFileError with every problem found."""
    names = realm_names(config_dir)
    problems: list[Problem] = []
    unknown = sorted(set(only or []) - set(names))
    problems += [Problem(config_dir / n, "$", "no such realm folder") for n in unknown]
    specs = []
    for name in names:
        if only and name not in only:
            continue
        spec = _load_realm(config_dir, name, environ, problems)
        if spec is not None:
            specs.append(spec)
    if problems:
        # A _common file's problem shows up once per realm; say it once.
        raise ConfigFileError(list(dict.fromkeys(problems)))
    return specs


def environment_variables(config_dir: Path) -> set[str]:
    """The environment variables realm-config/'s placeholders are filled from."""
    names = {match.group(1) for path in config_dir.rglob("*.json")
             for match in PLACEHOLDER.finditer(path.read_text(encoding="utf-8"))}
    return {REALM_PLACEHOLDERS[n][0] if n in REALM_PLACEHOLDERS else n for n in names}


def _realm_environment(realm: str, environ: Mapping[str, str]) -> dict[str, str]:
    derived = {name: derive(environ[source], realm)
               for name, (source, derive) in REALM_PLACEHOLDERS.items() if environ.get(source)}
    return {**environ, **derived}


def _load_realm(config_dir: Path, name: str, environ: Mapping[str, str],
                problems: list[Problem]) -> RealmSpec | None:
    environ = _realm_environment(name, environ)
    files: dict[str, Any] = {}
    sources: dict[str, Path] = {}
    for rel in sorted(_relative_files(config_dir / COMMON) | _relative_files(config_dir / name)):
        merged: Any = None
        for base in (config_dir / COMMON, config_dir / name):
            path = base / rel
            if not path.exists():
                continue
            data = _read_json(path, problems)
            if data is None:
                continue
            if found := shape_problems(rel, data, path):
                problems += found
                continue
            data = _substitute(data, environ, path, "$", problems)
            merged = data if merged is None else deep_merge(merged, data)
            sources[rel] = path
        if merged is not None:
            files[rel] = merged
    realm_file = config_dir / name / "realm.json"
    settings = files.pop("realm.json", {})
    if not realm_file.exists():
        problems.append(Problem(realm_file, "$", "missing: every realm folder needs realm.json"))
    elif settings.get("realm") != name and not any(p.file == realm_file for p in problems):
        problems.append(Problem(realm_file, "$.realm",
                                f"must be {name!r}, the folder's name"))
    spec = RealmSpec(name=name, settings=settings, sources={})
    spec.sources["realm"] = realm_file
    for rel, data in files.items():
        source = sources[rel]
        if rel == "roles.json":
            spec.roles = _expect_list(data, "roles", source, problems)
            spec.sources.update({f"role:{r.get('name')}": source for r in spec.roles})
        elif rel == "groups.json":
            spec.groups = _expect_list(data, "groups", source, problems)
            spec.sources.update({f"group:{g.get('name')}": source for g in spec.groups})
        elif rel == "user-profile.json":
            spec.user_profile = data
            spec.sources["user-profile"] = source
        elif rel == "service-accounts.json":
            spec.service_accounts = data
            spec.sources["service-accounts"] = source
        elif rel.startswith("clients/"):
            spec.clients.append(data)
            spec.sources[f"client:{data.get('clientId')}"] = source
        elif rel.startswith("flows/"):
            spec.flows.append(data)
            spec.sources[f"flow:{data.get('alias')}"] = source
        else:
            problems.append(Problem(source, "$", "unknown file: not a resource type we provision"))
    return spec


def _relative_files(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*.json")}


def _read_json(path: Path, problems: list[Problem]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        problems.append(Problem(path, f"line {exc.lineno} column {exc.colno}",
                                f"not valid JSON: {exc.msg}"))
    except OSError as exc:
        problems.append(Problem(path, "$", f"cannot read: {exc.strerror}"))
    return None


def _expect_list(data: Any, key: str, source: Path, problems: list[Problem]) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        problems.append(Problem(source, f"$.{key}", "must be a list"))
        return []
    return value


def _substitute(value: Any, environ: Mapping[str, str], path: Path, where: str,
                problems: list[Problem]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, environ, path, _json_path(where, k), problems)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, environ, path, f"{where}[{i}]", problems)
                for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if environ.get(name):
            return environ[name]
        if default is not None:
            return default
        unset = (f"{REALM_PLACEHOLDERS[name][0]}, which placeholder ${{{name}}} is derived from,"
                 if name in REALM_PLACEHOLDERS else f"placeholder ${{{name}}}")
        problems.append(Problem(path, where, f"{unset} is not set in the environment"))
        return match.group(0)

    return PLACEHOLDER.sub(replace, value)


def _json_path(where: str, key: str) -> str:
    return f"{where}.{key}" if re.fullmatch(r"[A-Za-z_][\w-]*", key) else f'{where}["{key}"]'


def deep_merge(base: Any, override: Any) -> Any:
    """Merge override onto base: see the module docstring for the rule."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else value
        return merged
    if _named_list(base) and _named_list(override):
        by_name = {item["name"]: item for item in base}
        result = [deep_merge(by_name[i["name"]], i) if i["name"] in by_name else i
                  for i in override]
        overridden = {i["name"] for i in override}
        return [i for i in base if i["name"] not in overridden] + result
    return override


def _named_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(i, dict) and "name" in i for i in value)


def iter_flow_nodes(executions: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every execution of a flow tree, depth first."""
    for node in executions:
        yield node
        yield from iter_flow_nodes(node.get("executions", []))
