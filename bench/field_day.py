"""A reproducible synthetic field-service day in a metro area (Atlanta-sized, 35 km radius).

Technicians with shifts, skills, home bases, a lunch break and truck stock; jobs with windows,
durations, P1-P3 (about 5 % P1), required skills and parts; two warehouses; and a separate stream
of new jobs ("probes") for timing `rank_technicians`. Everything comes from one seeded RNG.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from solver.models import Break, Depot, Job, PartNeed, Priority, Technician, TimeWindow

CENTRE = (33.749, -84.388)  # (lat, lon)
RADIUS_KM = 35.0
SKILLS = ("hvac", "plumbing", "electrical", "appliance", "gas", "water_heater")
SKILL_WEIGHTS = (30, 25, 20, 12, 8, 5)
RARE_SKILL = "elevator"  # nobody has it: a few jobs are unserviceable by design
SKUS = ("FLT-16", "CAP-45", "THERM-1", "VALVE-34", "BRKR-20", "IGN-7", "PUMP-2", "HOSE-3")
HOUR = 3600
MINUTE = 60
SERVICE_MINUTES = (20, 30, 45, 60, 90)
SERVICE_WEIGHTS = (2, 4, 3, 2, 1)


@dataclass(frozen=True)
class DayConfig:
    """Size and seed of the day: `probes` new jobs are generated after the planned ones."""

    techs: int = 200
    jobs: int = 2000
    seed: int = 1
    probes: int = 1000
    depots: int = 2

    def __post_init__(self) -> None:
        if self.techs < 1 or self.jobs < 1 or self.probes < 0 or self.depots < 1:
            raise ValueError("techs, jobs and depots must be positive, probes not negative")


@dataclass(frozen=True)
class Day:
    """The generated day. Location indices: homes, then depots, then jobs, then probes.

    `points` are (lat, lon) for every location; `plan_locations` is how many the plan uses (all but
    the probes'), so the plan's matrix can leave the probes out.
    """

    points: tuple[tuple[float, float], ...]
    technicians: tuple[Technician, ...]
    depots: tuple[Depot, ...]
    jobs: tuple[Job, ...]
    probes: tuple[Job, ...]

    @property
    def plan_locations(self) -> int:
        """Locations of homes, depots and planned jobs."""
        return len(self.points) - len(self.probes)


def generate(config: DayConfig) -> Day:
    """The day for `config`; the same config always gives the same day."""
    rng = random.Random(config.seed)  # noqa: S311 -- synthetic test data, not security
    hubs = [_disc_point(rng, RADIUS_KM * 0.8) for _ in range(8)]  # suburbs where work clusters
    n_fixed = config.techs + config.depots
    points = [_to_latlon(_place(rng, hubs)) for _ in range(n_fixed)]
    technicians = tuple(_technician(rng, i) for i in range(config.techs))
    depots = tuple(Depot(id=f"WH{d + 1}", location=config.techs + d, pickup_duration=15 * MINUTE)
                   for d in range(config.depots))
    jobs = []
    for j in range(config.jobs + config.probes):
        points.append(_to_latlon(_place(rng, hubs)))
        prefix, number = ("J", j + 1) if j < config.jobs else ("N", j - config.jobs + 1)
        jobs.append(_job(rng, f"{prefix}{number:05d}", n_fixed + j))
    return Day(points=tuple(points), technicians=technicians, depots=depots, jobs=tuple(jobs[:config.jobs]),
               probes=tuple(jobs[config.jobs:]))


def _disc_point(rng: random.Random, radius_km: float) -> tuple[float, float]:
    r, a = radius_km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    return r * math.cos(a), r * math.sin(a)


def _place(rng: random.Random, hubs: list[tuple[float, float]]) -> tuple[float, float]:
    if rng.random() < 0.6:
        x, y = rng.choice(hubs)
        return x + rng.gauss(0, 4.0), y + rng.gauss(0, 4.0)
    return _disc_point(rng, RADIUS_KM)


def _to_latlon(xy_km: tuple[float, float]) -> tuple[float, float]:
    lat = CENTRE[0] + xy_km[1] / 111.32
    lon = CENTRE[1] + xy_km[0] / (111.32 * math.cos(math.radians(CENTRE[0])))
    return round(lat, 6), round(lon, 6)


def _technician(rng: random.Random, i: int) -> Technician:
    start = rng.choice((7, 8, 8, 8, 9)) * HOUR
    skills = {rng.choices(SKILLS, SKILL_WEIGHTS)[0]}
    while rng.random() < 0.45 and len(skills) < 4:
        skills.add(rng.choices(SKILLS, SKILL_WEIGHTS)[0])
    stock = sorted((sku, rng.randint(1, 4)) for sku in rng.sample(SKUS, rng.randint(3, 6)))
    lunch = Break(id=f"lunch-T{i + 1:03d}", earliest_start=start + 4 * HOUR, latest_start=start + 6 * HOUR,
                  duration=30 * MINUTE)
    return Technician(id=f"T{i + 1:03d}", start=i, end=i, shift_start=start, shift_end=start + 9 * HOUR,
                      max_overtime=rng.choice((0, HOUR, HOUR)), skills=frozenset(skills), breaks=(lunch,),
                      truck_stock=tuple(stock))


def _job(rng: random.Random, job_id: str, location: int) -> Job:
    priority = rng.choices((Priority.P1, Priority.P2, Priority.P3), (5, 30, 65))[0]
    skills = {rng.choices(SKILLS, SKILL_WEIGHTS)[0]}
    if rng.random() < 0.1:
        skills.add(rng.choices(SKILLS, SKILL_WEIGHTS)[0])
    if rng.random() < 0.005:
        skills = {RARE_SKILL}
    parts: tuple[PartNeed, ...] = ()
    if rng.random() < 0.25:
        parts = (PartNeed(sku=rng.choice(SKUS), quantity=rng.randint(1, 2)),)
    service = rng.choices(SERVICE_MINUTES, SERVICE_WEIGHTS)[0] * MINUTE
    return Job(id=job_id, location=location, service=service, windows=_windows(rng, priority),
               skills=frozenset(skills), priority=priority, parts=parts)


def _windows(rng: random.Random, priority: Priority) -> tuple[TimeWindow, ...]:
    if priority is Priority.P1:  # emergencies: as soon as possible, today
        return (TimeWindow(start=7 * HOUR, latest_start=14 * HOUR),)
    kind = rng.choices(("any", "morning", "afternoon", "two_hours"), (35, 25, 25, 15))[0]
    if kind == "morning":
        return (TimeWindow(start=8 * HOUR, latest_start=12 * HOUR),)
    if kind == "afternoon":
        return (TimeWindow(start=12 * HOUR, latest_start=17 * HOUR),)
    if kind == "two_hours":
        start = rng.randint(8, 15) * HOUR
        return (TimeWindow(start=start, latest_start=start + 2 * HOUR),)
    return ()
