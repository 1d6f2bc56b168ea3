"""Tiny hand-checkable problems for the solver tests: locations on a road, travel = distance.

Location i sits `POINTS[i]` minutes along the road; the distance unit is the metre at 1 km/min.
"""

from __future__ import annotations

from solver.models import Problem, Technician, TravelMatrix

M = 60  # seconds per minute
H = 3600
POINTS = (0, 10, 20, 30, 40, 50, 60, 100)


def road(points: tuple[int, ...] = POINTS) -> TravelMatrix:
    """Minutes along the road as seconds; metres at 1 km per minute."""
    durations = tuple(tuple(abs(a - b) * M for b in points) for a in points)
    distances = tuple(tuple(abs(a - b) * 1000 for b in points) for a in points)
    return TravelMatrix(durations=durations, distances=distances)


def tech(tech_id: str, home: int = 0, **overrides: object) -> Technician:
    """A technician working 8:00-17:00 from `home`."""
    fields: dict[str, object] = {"id": tech_id, "start": home, "end": home, "shift_start": 8 * H, "shift_end": 17 * H}
    fields.update(overrides)
    return Technician(**fields)


def problem(techs: tuple[Technician, ...], jobs: tuple[object, ...], **overrides: object) -> Problem:
    """A problem on the road matrix."""
    fields: dict[str, object] = {"technicians": techs, "jobs": jobs, "matrix": road()}
    fields.update(overrides)
    return Problem(**fields)
