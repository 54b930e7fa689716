"""Results more than one use case returns, defined once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TemporaryProblem:
    """An outside system (a registry, Keycloak, the database) could not answer now: the user
    is told to try again later; nothing accepted was lost and nothing was half-written."""
