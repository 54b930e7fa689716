"""What every in-memory registry twin shares: a switch to play an outage."""

from __future__ import annotations

from typing import ClassVar

from gerbang_sidecar.domain.registry_results import Unavailable


class FakeRegistry:
    registry: ClassVar[str]

    def __init__(self) -> None:
        # Set to a reason ("timeout", "http_503"…) to make every call answer Unavailable.
        self.outage: str | None = None

    def _outage(self) -> Unavailable | None:
        return None if self.outage is None else Unavailable(self.registry, self.outage)

    def is_reachable(self) -> bool:
        return self.outage is None


def fold(text: str) -> str:
    """Compare names the way registries do: case and repeated spaces don't count."""
    return " ".join(text.split()).casefold()
