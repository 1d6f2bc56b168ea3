from __future__ import annotations

from collections import Counter

import pytest

from bench.field_day import RARE_SKILL, DayConfig, generate
from solver.models import Priority


def test_the_same_seed_gives_the_same_day() -> None:
    config = DayConfig(techs=20, jobs=150, probes=30, seed=7)
    assert generate(config) == generate(config)
    assert generate(config) != generate(DayConfig(techs=20, jobs=150, probes=30, seed=8))


def test_shape_of_a_full_size_day() -> None:
    day = generate(DayConfig())
    assert (len(day.technicians), len(day.jobs), len(day.probes), len(day.depots)) == (200, 2000, 1000, 2)
    assert len(day.points) == 200 + 2 + 2000 + 1000
    assert day.plan_locations == 2202
    assert len({j.id for j in (*day.jobs, *day.probes)}) == 3000
    assert sorted(j.location for j in day.jobs) == list(range(202, 2202))
    assert [t.start for t in day.technicians] == list(range(200))
    assert all(202 <= p.location < 3202 for p in day.probes)
    share = Counter(j.priority for j in day.jobs)[Priority.P1] / len(day.jobs)
    assert 0.03 <= share <= 0.07
    assert any(j.parts for j in day.jobs)
    assert any(RARE_SKILL in j.skills for j in day.jobs)
    assert not any(RARE_SKILL in t.skills for t in day.technicians)
    for tech in day.technicians:
        (lunch,) = tech.breaks
        assert tech.shift_start < lunch.earliest_start <= lunch.latest_start < tech.shift_end
        assert tech.skills
        assert tech.truck_stock
    lats = [p[0] for p in day.points]
    assert 33.3 < min(lats) < max(lats) < 34.2  # one metro area


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="positive"):
        DayConfig(techs=0)
