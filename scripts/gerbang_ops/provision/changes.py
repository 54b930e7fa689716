"""A planned change: what differs, where it was declared, and how to make it so."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote

# "keep": drift that provisioning reports but will not remove (it would take something away
# from accounts); an operator resolves it by hand.
SYMBOLS = {"create": "+", "update": "~", "replace": "±", "delete": "-", "keep": "!"}


@dataclass
class Change:
    realm: str
    kind: str
    name: str
    action: str
    source: str
    run: Callable[[], None] = field(repr=False)
    details: list[str] = field(default_factory=list)

    def describe(self) -> str:
        head = f"{SYMBOLS[self.action]} {self.realm}: {self.kind} {self.name!r} ({self.action})"
        lines = [head, f"    declared in {self.source}"] if self.action not in ("delete", "keep") \
            else [head]
        lines += [f"    {d}" for d in self.details]
        return "\n".join(lines)


def seg(name: str) -> str:
    """One URL path segment (flow aliases contain spaces)."""
    return quote(name, safe="")
