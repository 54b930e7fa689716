"""The benchmark's pure helpers (no server): percentiles, synthetic people, result tables.

Timings themselves are never asserted anywhere in the suite; ``make bench`` prints them.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import phonenumbers
import pytest
from stdnum.id import nik as stdnum_nik

from bench.report import Row, Table, fmt_ratio, render_markdown, render_text
from bench.stats import Summary, percentile, ratio
from bench.synthetic import registry_seed, synthetic_nik, synthetic_people
from gerbang_sidecar.adapters.registries.fakes import build_fake_registries
from gerbang_sidecar.domain.akses.registration_form import RegistrationData, validate_form


def test_percentile_is_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]  # 1..100
    assert percentile(samples, 95) == 95.0
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 100) == 100.0
    assert percentile(samples, 0) == 1.0
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0  # order of arrival does not matter
    assert percentile([7.0], 95) == 7.0


@pytest.mark.parametrize("bad", [-1, 101])
def test_percentile_refuses_nonsense(bad: float) -> None:
    with pytest.raises(ValueError):
        percentile([1.0], bad)
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summary_rates_and_ratio() -> None:
    summary = Summary(count=4, elapsed=2.0, latencies=(0.4, 0.5, 0.5, 0.6))
    assert summary.per_second == 2.0
    assert summary.p95 == 0.6
    assert summary.mean == pytest.approx(0.5)
    assert ratio(3.0, 1.5) == 2.0
    assert fmt_ratio(ratio(1.0, 0.0)) == "n/a"


def test_synthetic_niks_are_valid_distinct_and_encode_birth_and_sex() -> None:
    people = synthetic_people(400)
    assert len({p.nik for p in people}) == 400
    for person in people:
        assert stdnum_nik.is_valid(person.nik), person.nik
        assert stdnum_nik.get_birth_date(person.nik) == person.birth_date
        assert (int(person.nik[6:8]) > 40) is person.female
    assert synthetic_nik(9_998)[0][-4:] == "9999"
    with pytest.raises(ValueError):
        synthetic_nik(9_999)


def test_synthetic_people_pass_the_sidecars_form_rules() -> None:
    for person in synthetic_people(40):
        assert phonenumbers.is_valid_number(phonenumbers.parse(person.phone))
        checked = validate_form(person.registration_form(), today=dt.date(2025, 3, 1))
        assert isinstance(checked, RegistrationData), checked


def test_registry_seed_knows_every_person_and_investors_by_their_email(tmp_path: Path) -> None:
    people = synthetic_people(6)
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(registry_seed(people)))
    registries = build_fake_registries(path)  # the seed loads: the shape is right
    assert registries is not None
    seed = registry_seed(people)
    assert [r["nik"] for r in seed["residents"]] == [p.nik for p in people]
    investors = {i["nik"]: i for i in seed["investors"]}
    assert {p.nik for p in people if p.sid} == set(investors)
    assert all(investors[p.nik]["broker_email"] == p.email for p in people if p.sid)


def test_tables_render_as_text_and_markdown() -> None:
    table = Table("Logins", "akses realm", "stock realm",
                  rows=[Row("logins per second", "9.50", "10.00", "0.95×"),
                        Row("p95 | latency", "120 ms", "100 ms", "1.20×")],
                  notes=["sequential"])
    text = render_text(table).splitlines()
    assert text[0] == "Logins"
    assert text[2].split() == ["figure", "akses", "realm", "stock", "realm", "ratio"]
    assert len({len(line) for line in text[2:6]}) == 1  # columns line up
    markdown = render_markdown(table)
    assert "| logins per second | 9.50 | 10.00 | 0.95× |" in markdown
    assert "p95 \\| latency" in markdown  # a pipe in a cell does not break the row
    assert markdown.endswith("- sequential")


def test_x1_enumeration_probe_blanks_the_person_and_flags_differences() -> None:
    from bench.enumeration import Probe, _blank, _table

    [siti, budi] = [p for p in synthetic_people(4) if p.sid is None][:2]
    page = '<p>{name} {nik4} {email}</p><input name="csrf_token" value="{token}">'
    one = _blank(page.format(name=siti.name, nik4=siti.nik[-4:], email=siti.email,
                             token="a" * 40), siti)
    two = _blank(page.format(name=budi.name, nik4=budi.nik[-4:], email=budi.email,
                             token="b" * 40), budi)
    assert one == two
    same = Probe("Selanjutnya", [1.0, 1.02], [1.0, 1.01], {(200, 200)}, 0)
    slow = Probe("Aktivasi", [1.5, 1.5], [1.0, 1.0], {(302, 302)}, 0)
    told = Probe("Lupa", [1.0], [1.0], {(409, 200)}, 1)
    verdicts = [r.ratio for r in _table([same, slow, told]).rows if "statuses" in r.figure]
    assert verdicts == ["same", "DIFFERS", "DIFFERS"]
