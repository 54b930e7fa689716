"""Synthetic people for the registration benchmark, and the fake-registry seed that knows them.

Every sidecar registration needs an identity Dukcapil (and, for investors, KSEI) confirms and
that nobody registered before, so the benchmark invents N of them: NIKs valid under
``stdnum.id.nik`` (a real region code, the birth date with day + 40 for women, a serial),
names made of letters only (the person-name rule refuses digits), distinct Indonesian mobile
numbers and emails. Every second person is an investor with a SID whose broker email is the
person's email, so both outcomes of A2 (investor, Registered User) are timed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Region codes (province, regency, district) that stdnum's table knows; the demo seed uses them.
REGIONS = ("317101", "327305", "347102", "357803", "317404", "517101", "737103", "337402")
_GIVEN = ("ADI", "BAYU", "CITRA", "DEWI", "EKA", "FITRI", "GILANG", "HADI", "INDAH", "JOKO",
          "KARTIKA", "LINA", "MEGA", "NANDA", "OKTA", "PUTRI")
_FAMILY = ("SAPUTRA", "WIBOWO", "LESTARI", "HIDAYAT", "KURNIAWAN", "PERMATA", "SETIAWAN",
           "ANGGRAINI", "NUGRAHA", "MAHARANI", "PRATAMA", "SUSANTO", "WULANDARI", "HALIM")
_FIRST_BIRTH_DATE = dt.date(1960, 1, 1)
_FEMALE_DAY_OFFSET = 40


@dataclass(frozen=True)
class Person:
    nik: str
    name: str
    birth_date: dt.date
    female: bool
    email: str
    phone: str  # E.164
    sid: str | None  # an investor at KSEI when set

    def registration_form(self) -> dict[str, str]:
        """The AKSes "Individu Lokal" form as the person would type it (A2)."""
        return {"type": "individu-lokal", "name": self.name, "nik": self.nik,
                "phone": self.phone, "email": self.email}


def synthetic_nik(index: int) -> tuple[str, dt.date, bool]:
    """The index-th synthetic NIK with its birth date and sex; distinct for 0 <= index < 9999.

    Birth dates step by 7 days through 1960–1999 (two-digit years whose century neither stdnum
    nor the sidecar can guess wrong); the 4-digit serial (index + 1) alone keeps them distinct.
    """
    if not 0 <= index < 9_999:
        raise ValueError("index must be within 0..9998 (a 4-digit serial from 0001)")
    birth = _FIRST_BIRTH_DATE + dt.timedelta(days=(7 * index) % 14_600)
    female = index % 2 == 1
    day = birth.day + (_FEMALE_DAY_OFFSET if female else 0)
    region = REGIONS[index % len(REGIONS)]
    nik = f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}{index + 1:04d}"
    return nik, birth, female


def synthetic_people(count: int, tag: str = "bench", first: int = 0) -> list[Person]:
    """``count`` distinct people from the ``first``-th on; ``tag`` keeps emails of different
    runs apart, ``first`` keeps NIKs apart when several benchmarks register people in one
    Keycloak (the same index is the same NIK, and a second account for it is declined)."""
    people = []
    for i in range(first, first + count):
        nik, birth, female = synthetic_nik(i)
        name = f"{_GIVEN[i % len(_GIVEN)]} {_FAMILY[(i // len(_GIVEN)) % len(_FAMILY)]}"
        people.append(Person(
            nik=nik, name=name, birth_date=birth, female=female,
            email=f"{tag}.{i:05d}@example.com",
            # 0812 numbers are Telkomsel mobiles: 11 significant digits after +62.
            phone=f"+62812{i:08d}",
            sid=f"IDD{700_000_000_000 + i:012d}" if i % 2 == 0 else None))
    return people


def registry_seed(people: list[Person]) -> dict[str, Any]:
    """A fake-registry seed (shape of gerbang_sidecar/fake_registry/seed.json) with only them."""
    return {
        "about": "Benchmark-only synthetic people; written by bench, deleted after the run.",
        "residents": [
            {"nik": p.nik, "name": p.name, "birth_date": p.birth_date.isoformat(),
             "sex": "F" if p.female else "M", "city": "JAKARTA SELATAN", "face_score": 0.9}
            for p in people],
        # One business per person, the person its responsible (INSW, I1): NIB from the NIK's
        # last twelve digits, the NIK as the 16-digit NPWP (as individuals' NPWPs are).
        "businesses": [
            {"nib": f"9{p.nik[-12:]}", "npwp": p.nik, "name": f"PT {p.name}",
             "responsible_nik": p.nik}
            for p in people],
        "investors": [
            {"sid": p.sid, "investor_type": "ID", "name": p.name, "domestic": True,
             "broker_email": p.email, "nik": p.nik}
            for p in people if p.sid is not None],
        "civil_servants": [],
        "police_officers": [],
        "faults": {},
    }


def write_seed(people: list[Person], path: Path) -> Path:
    path.write_text(json.dumps(registry_seed(people), indent=1), encoding="utf-8")
    return path
