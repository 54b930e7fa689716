"""Dukcapil (population registry): NIK + name/birth date check and selfie comparison."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from gerbang_sidecar.adapters.registries.fake_base import FakeRegistry, fold
from gerbang_sidecar.adapters.registries.transport import (
    MalformedReply,
    RegistryClient,
    field,
    lookup_parser,
    number,
    strings,
)
from gerbang_sidecar.domain.registry_results import (
    FACE_MATCH_THRESHOLD,
    FaceScore,
    Match,
    NoMatch,
    NotFound,
    PopulationMatch,
    RegistryResult,
    Unavailable,
    judge_face_score,
)


def _identity_body(nik: str, name: str | None, birth_date: date | None) -> dict[str, str]:
    if name is None and birth_date is None:
        raise ValueError("verify_identity needs a name, a birth date or both")
    body = {"nik": nik}
    if name is not None:
        body["name"] = name
    if birth_date is not None:
        body["birth_date"] = birth_date.isoformat()
    return body


def _population_match(data: Mapping[str, Any]) -> PopulationMatch:
    return PopulationMatch(strings(data, "checked"))


class HttpDukcapil:
    def __init__(self, client: RegistryClient, *,
                 face_threshold: float = FACE_MATCH_THRESHOLD) -> None:
        self._client = client
        self._threshold = face_threshold

    def verify_identity(self, nik: str, *, name: str | None = None,
                        birth_date: date | None = None) -> RegistryResult[PopulationMatch]:
        return self._client.post(
            "verify_identity", "/penduduk/verify", _identity_body(nik, name, birth_date),
            lookup_parser(_population_match), cacheable=True,
        )

    def compare_face(self, nik: str, selfie: bytes) -> RegistryResult[FaceScore]:
        if not selfie:
            raise ValueError("an empty selfie is a caller bug, not a registry question")
        body = {"nik": nik, "selfie": base64.b64encode(selfie).decode("ascii")}
        # Never cached: every capture is a fresh liveness attempt.
        return self._client.post("compare_face", "/face-match", body, self._parse_face)

    def _parse_face(self, status: int, payload: Mapping[str, Any]) -> RegistryResult[FaceScore]:
        result = field(payload, "result", str)
        if status == 404 and result == "not_found":
            return NotFound()
        if status == 200 and result == "scored":
            score = number(field(payload, "data", dict), "score")
            try:
                return judge_face_score(score, self._threshold)
            except ValueError as exc:
                raise MalformedReply("score outside 0..1") from exc
        raise MalformedReply(f"unexpected result {result!r} with status {status}")

    def is_reachable(self) -> bool:
        return self._client.is_reachable()


@dataclass(frozen=True)
class Resident:
    nik: str
    name: str
    birth_date: date
    # What the twin's face service scores any selfie of this person; None: no photo on file.
    face_score: float | None = None


class FakeDukcapil(FakeRegistry):
    registry = "dukcapil"

    def __init__(self, residents: Iterable[Resident] = (), *,
                 face_threshold: float = FACE_MATCH_THRESHOLD) -> None:
        super().__init__()
        self.residents = {r.nik: r for r in residents}
        self._threshold = face_threshold

    def verify_identity(self, nik: str, *, name: str | None = None,
                        birth_date: date | None = None) -> RegistryResult[PopulationMatch]:
        _identity_body(nik, name, birth_date)
        if down := self._outage():
            return down
        resident = self.residents.get(nik)
        if resident is None:
            return NotFound()
        checked, mismatched = [], []
        if name is not None:
            checked.append("name")
            if fold(name) != fold(resident.name):
                mismatched.append("name")
        if birth_date is not None:
            checked.append("birth_date")
            if birth_date != resident.birth_date:
                mismatched.append("birth_date")
        if mismatched:
            return NoMatch(tuple(mismatched))
        return Match(PopulationMatch(tuple(checked)))

    def compare_face(self, nik: str, selfie: bytes) -> RegistryResult[FaceScore]:
        if not selfie:
            raise ValueError("an empty selfie is a caller bug, not a registry question")
        scored = self.face_score(nik)
        if not isinstance(scored, FaceScore):
            return scored
        return judge_face_score(scored.score, self._threshold)

    def face_score(self, nik: str) -> FaceScore | NotFound | Unavailable:
        """The raw score, before the threshold: what the face service itself answers."""
        if down := self._outage():
            return down
        resident = self.residents.get(nik)
        if resident is None or resident.face_score is None:
            return NotFound()
        return FaceScore(resident.face_score)
