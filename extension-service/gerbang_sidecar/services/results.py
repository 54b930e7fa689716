"""Results more than one use case returns, defined once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gerbang_sidecar.domain.identifiers import IdentifierError


@dataclass(frozen=True)
class TemporaryProblem:
    """An outside system (a registry, Keycloak, the database) could not answer now: the user
    is told to try again later; nothing accepted was lost and nothing was half-written."""


@dataclass(frozen=True)
class FormErrors:
    """Field -> error for every rejected field (X5), and the typed values to refill the form."""

    errors: Mapping[str, IdentifierError]
    fields: Mapping[str, str] = field(default_factory=dict)
