"""Compare a declared resource with Keycloak's representation of it.

Only what the files declare is compared (Keycloak adds many defaults we do not own), except
under keys whose whole value we own (validators, permissions, authenticator config), where an
extra entry added by hand counts as drift. Lists of objects with a ``name`` are matched by
name and must hold exactly the declared names; other lists are compared as sets.
"""

from __future__ import annotations

import json
from typing import Any

# Keycloak answers a stored secret with this mask; it cannot be compared, so it is taken as
# equal (a changed SMTP password is seen through its fingerprint, realm_settings.py).
MASKED_SECRET = "**********"  # noqa: S105 - the mask, not a secret
# A key whose name holds one of these is never printed, nor an object holding such a key.
SECRET_WORDS = ("secret", "password", "credential", "fingerprint")
EXACT_KEYS = frozenset({"validations", "permissions", "required", "config", "annotations"})


def differences(desired: Any, live: Any, path: str = "") -> list[str]:
    """Human-readable differences, empty when live already matches desired."""
    if _blank(desired) and _blank(live):
        return []
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return [_changed(path, live, desired)]
        found = []
        for key, value in desired.items():
            found += differences(value, live.get(key), f"{path}.{key}" if path else key)
        return found
    if isinstance(desired, list):
        return _list_differences(desired, live, path)
    if live == MASKED_SECRET:
        return []
    if desired != live:
        return [_changed(path, live, desired)]
    return []


def _list_differences(desired: list[Any], live: Any, path: str) -> list[str]:
    live = live or []
    if not isinstance(live, list):
        return [_changed(path, live, desired)]
    if _named(desired) and _named(live):
        live_by_name = {i["name"]: i for i in live}
        found = [f"{path}: + {i['name']}" for i in desired if i["name"] not in live_by_name]
        found += [f"{path}: - {name} (not in realm-config)" for name in live_by_name
                  if name not in {i["name"] for i in desired}]
        for item in desired:
            if item["name"] in live_by_name:
                found += _exact_aware(item, live_by_name[item["name"]],
                                      f"{path}[{item['name']}]")
        return found
    if sorted(map(_canonical, desired)) != sorted(map(_canonical, live)):
        return [_changed(path, live, desired)]
    return []


def _exact_aware(desired: dict[str, Any], live: dict[str, Any], path: str) -> list[str]:
    found = differences(desired, live, path)
    for key in EXACT_KEYS & desired.keys():
        extra = set((live.get(key) or {}).keys()) - set((desired[key] or {}).keys()) \
            if isinstance(desired[key], dict) and isinstance(live.get(key), dict) else set()
        found += [f"{path}.{key}.{name}: - (not in realm-config)" for name in sorted(extra)]
    return found


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _changed(path: str, live: Any, desired: Any) -> str:
    if _is_secret(path.rsplit(".", 1)[-1]) or _holds_secret(live) or _holds_secret(desired):
        return f"{path}: (differs; value not shown)"
    return f"{path}: {_short(live)} -> {_short(desired)}"


def _is_secret(key: str) -> bool:
    return any(word in key.lower() for word in SECRET_WORDS)


def _holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_is_secret(str(k)) or _holds_secret(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_secret(item) for item in value)
    return False


def _short(value: Any) -> str:
    text = "(unset)" if _blank(value) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."
