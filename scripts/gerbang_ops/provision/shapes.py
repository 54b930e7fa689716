"""The shape each kind of realm file must have, checked before anything reads it, so a
malformed file is one clear line (file, JSON path, reason) and never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gerbang_ops.provision.problems import Problem

REQUIREMENTS = {"REQUIRED", "ALTERNATIVE", "CONDITIONAL", "DISABLED"}


def shape_problems(rel: str, data: Any, path: Path) -> list[Problem]:
    if rel == "realm.json":
        return _object(data, path, "$")
    if rel == "roles.json":
        return _named_objects(data, path, "roles", "name")
    if rel == "groups.json":
        return _named_objects(data, path, "groups", "name") or _group_roles(data, path)
    if rel == "user-profile.json":
        return _named_objects(data, path, "attributes", "name")
    if rel == "service-accounts.json":
        return _service_accounts(data, path)
    if rel.startswith("clients/"):
        return _object(data, path, "$") or _client(data, path)
    if rel.startswith("flows/"):
        return _object(data, path, "$") or _flow(data, path)
    return []


def _object(data: Any, path: Path, where: str) -> list[Problem]:
    return [] if isinstance(data, dict) else [Problem(path, where, "must be a JSON object")]


def _text(data: dict[str, Any], key: str, path: Path, where: str) -> list[Problem]:
    value = data.get(key)
    if isinstance(value, str) and value:
        return []
    return [Problem(path, f"{where}.{key}", "must be a non-empty string")]


def _named_objects(data: Any, path: Path, key: str, name: str) -> list[Problem]:
    if problems := _object(data, path, "$"):
        return problems
    items = data.get(key)
    if not isinstance(items, list):
        return [Problem(path, f"$.{key}", "must be a list")]
    problems = []
    for i, item in enumerate(items):
        where = f"$.{key}[{i}]"
        problems += _object(item, path, where) or _text(item, name, path, where)
    return problems


def _group_roles(data: dict[str, Any], path: Path) -> list[Problem]:
    return [Problem(path, f"$.groups[{i}].realmRoles", "must be a list of role names")
            for i, group in enumerate(data["groups"])
            if not (isinstance(roles := group.get("realmRoles", []), list)
                    and all(isinstance(r, str) for r in roles))]


def _client(data: dict[str, Any], path: Path) -> list[Problem]:
    problems = _text(data, "clientId", path, "$")
    overrides = data.get("authenticationFlowBindingOverrides", {})
    if not isinstance(overrides, dict) or not all(
            isinstance(v, str) for v in overrides.values()):
        problems.append(Problem(path, "$.authenticationFlowBindingOverrides",
                                "must map a binding to a flow alias"))
    return problems


def _flow(data: dict[str, Any], path: Path) -> list[Problem]:
    return _text(data, "alias", path, "$") + _executions(data, path, "$")


def _executions(node: dict[str, Any], path: Path, where: str) -> list[Problem]:
    executions = node.get("executions", [])
    if not isinstance(executions, list):
        return [Problem(path, f"{where}.executions", "must be a list")]
    problems: list[Problem] = []
    for i, child in enumerate(executions):
        at = f"{where}.executions[{i}]"
        if problems_here := _object(child, path, at):
            problems += problems_here
            continue
        if ("authenticator" in child) == ("subFlow" in child):
            problems.append(Problem(path, at, "needs exactly one of authenticator or subFlow"))
            continue
        problems += _text(child, "authenticator" if "authenticator" in child else "subFlow",
                          path, at)
        if child.get("requirement") not in REQUIREMENTS:
            problems.append(Problem(path, f"{at}.requirement",
                                    f"must be one of {', '.join(sorted(REQUIREMENTS))}"))
        config = child.get("config")
        if config is not None and not (isinstance(config, dict) and isinstance(
                config.get("alias"), str) and isinstance(config.get("config"), dict)):
            problems.append(Problem(path, f"{at}.config",
                                    'must be {"alias": "...", "config": {...}}'))
        if "subFlow" in child:
            problems += _executions(child, path, at)
    return problems


def _service_accounts(data: Any, path: Path) -> list[Problem]:
    if problems := _object(data, path, "$"):
        return problems
    problems = []
    for client_id, grants in data.items():
        where = f"$.{client_id}"
        if not isinstance(grants, dict):
            problems.append(Problem(path, where, "must be a JSON object"))
            continue
        client_roles = grants.get("clientRoles", {})
        if not isinstance(client_roles, dict) or not all(
                isinstance(r, list) for r in client_roles.values()):
            problems.append(Problem(path, f"{where}.clientRoles",
                                    "must map a client to a list of role names"))
        if not isinstance(grants.get("realmRoles", []), list):
            problems.append(Problem(path, f"{where}.realmRoles", "must be a list"))
    return problems
