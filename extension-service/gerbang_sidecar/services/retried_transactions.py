"""A transaction tried again when the database fails for a moment: for records that must
follow something already done outside it (a mail sent, a password changed in Keycloak),
where giving up at the first failure would leave that deed unrecorded."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from gerbang_sidecar.ports.storage import StorageError, Store, Transaction

T = TypeVar("T")

ATTEMPTS = 3
PAUSE_SECONDS = 0.2  # then twice that: about half a second in all before giving up


def in_retried_transaction(store: Store, work: Callable[[Transaction], T]) -> T:
    """``work`` in a transaction of its own, up to ATTEMPTS times; the last StorageError
    raises. ``work`` must be safe to run again: a failed attempt was rolled back."""
    for attempt in range(ATTEMPTS):
        try:
            with store.transaction() as tx:
                return work(tx)
        except StorageError:
            if attempt == ATTEMPTS - 1:
                raise
            time.sleep(PAUSE_SECONDS * (attempt + 1))
    raise AssertionError("unreachable")
