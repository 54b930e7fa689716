"""What a registry lookup can tell us, whatever registry it was.

Every lookup ends in exactly one of four outcomes. Services branch on them with ``match``
statements; pages show :class:`Unavailable` as a temporary problem, never as "not found",
so a registry outage can't be mistaken for a failed identity check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# A selfie counts as the registered person's from this score on. Set high on purpose: a
# false accept (a certificate issued to someone else) costs far more than a retake. Tune it
# against the real face service's score distribution, not by feel.
FACE_MATCH_THRESHOLD = 0.8


@dataclass(frozen=True)
class Match(Generic[T]):
    """The registry knows the record and everything we asked about agrees."""

    data: T


@dataclass(frozen=True)
class NoMatch:
    """The record exists but some of the given fields disagree.

    ``mismatched`` names the fields (``"name"``, ``"npwp"``…), never their values, so the
    page can point at the field to correct and the logs stay free of identifiers.
    """

    mismatched: tuple[str, ...]


@dataclass(frozen=True)
class NotFound:
    """The registry has no record for the identifier."""


@dataclass(frozen=True)
class Unavailable:
    """The registry could not answer: timeout, refused connection, 5xx, malformed body,
    or our circuit breaker is open. ``reason`` is for logs and metrics only and never
    carries a personal identifier."""

    registry: str
    reason: str


RegistryResult = Match[T] | NoMatch | NotFound | Unavailable


@dataclass(frozen=True)
class Accepted:
    """The message gateway took the message for delivery (delivery itself is async)."""

    message_id: str


SendResult = Accepted | Unavailable


@dataclass(frozen=True)
class PopulationMatch:
    """Dukcapil agreed with the given fields; it returns no personal data beyond that."""

    checked: tuple[str, ...]


@dataclass(frozen=True)
class FaceScore:
    score: float


@dataclass(frozen=True)
class Business:
    nib: str
    npwp: str
    name: str


@dataclass(frozen=True)
class Investor:
    sid: str
    investor_type: str
    name: str
    domestic: bool
    broker_email: str


@dataclass(frozen=True)
class CivilServant:
    nip: str
    name: str
    instansi: str
    unit_organisasi: str
    jabatan: str


@dataclass(frozen=True)
class PoliceOfficer:
    nrp: str
    name: str
    pangkat: str
    satuan: str


def judge_face_score(score: float,
                     threshold: float = FACE_MATCH_THRESHOLD) -> Match[FaceScore] | NoMatch:
    """Turn a similarity score into a verdict (B4, B9, B17, B22)."""
    if not 0.0 <= score <= 1.0:
        raise ValueError("a face score lies between 0 and 1")
    if score >= threshold:
        return Match(FaceScore(score))
    return NoMatch(("face",))


def compare_investor(found: RegistryResult[Investor], *, email: str,
                     name: str | None = None) -> RegistryResult[Investor]:
    """Check what a registrant typed against the investor KSEI returned (A2–A4).

    Emails compare case-insensitively, names also ignore repeated spaces; anything other
    than a match passes through unchanged.
    """
    if not isinstance(found, Match):
        return found
    mismatched = []
    if name is not None and _fold(name) != _fold(found.data.name):
        mismatched.append("name")
    if email.strip().casefold() != found.data.broker_email.strip().casefold():
        mismatched.append("email")
    return NoMatch(tuple(mismatched)) if mismatched else found


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()
