"""B9: at most three OTP devices per account; adding one when three exist removes the oldest
(by the time it was added). Pure: the caller lists the devices."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

MAX_OTP_DEVICES = 3

Device = TypeVar("Device")


def beyond_cap(devices: Sequence[Device], added_at: Callable[[Device], int], *,
               room_for: int = 0) -> list[Device]:
    """The devices to remove, oldest first, so that ``room_for`` more fit under the cap."""
    keep = max(0, MAX_OTP_DEVICES - room_for)
    ordered = sorted(devices, key=added_at)
    return ordered[:max(0, len(ordered) - keep)]
