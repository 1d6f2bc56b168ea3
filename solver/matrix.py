"""Travel matrices: from coordinates (great circle x road factor at a speed) or from the caller's lists.

Everything the solver sees is integer: seconds for durations, metres (or the caller's unit) for
distances. OR-Tools works on int64, and integers make results exactly reproducible.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

from solver.exceptions import InvalidProblem
from solver.models import TravelMatrix

if TYPE_CHECKING:
    from collections.abc import Sequence

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The haversine distance between two (latitude, longitude) points in degrees, in km.

    Args:
        a: First point (latitude, longitude).
        b: Second point (latitude, longitude).

    Returns:
        The great-circle distance in kilometres.
    """
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def matrix_from_coordinates(points: Sequence[tuple[float, float]], *, road_factor: float = 1.3,
                            speed_kmh: float = 40.0) -> TravelMatrix:
    """Travel between (latitude, longitude) points: great-circle km x road factor, at a constant speed.

    Args:
        points: (latitude, longitude) in degrees; location i of the matrix is points[i].
        road_factor: Road distance over straight-line distance (1.3 is typical for towns).
        speed_kmh: Average driving speed.

    Returns:
        A symmetric matrix of integer seconds and integer metres (rounded).

    Raises:
        InvalidProblem: A coordinate is out of range or not finite, or a factor is not positive.
    """
    errors = [f"points[{i}]: {p!r} is not a (latitude, longitude) in degrees"
              for i, p in enumerate(points) if not _valid_point(p)]
    if not (math.isfinite(road_factor) and road_factor >= 1.0):
        errors.append(f"road_factor: {road_factor} must be at least 1")
    if not (math.isfinite(speed_kmh) and speed_kmh > 0):
        errors.append(f"speed_kmh: {speed_kmh} must be positive")
    if errors:
        raise InvalidProblem(errors)
    n = len(points)
    metres = [[0] * n for _ in range(n)]
    seconds = [[0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            km = great_circle_km(points[i], points[j]) * road_factor
            metres[i][j] = metres[j][i] = round(km * 1000)
            seconds[i][j] = seconds[j][i] = round(km / speed_kmh * 3600)
    return TravelMatrix(durations=tuple(map(tuple, seconds)), distances=tuple(map(tuple, metres)))


def _valid_point(p: object) -> bool:
    if not isinstance(p, tuple | list) or len(p) != 2:
        return False
    lat, lon = p
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lat, lon)):
        return False
    return bool(-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0)


def matrix_from_lists(durations: Sequence[Sequence[int]], distances: Sequence[Sequence[int]] | None = None
                      ) -> TravelMatrix:
    """A matrix from the caller's lists, checked: square, same size, non-negative integers.

    Args:
        durations: durations[i][j] is the driving time from location i to j, in seconds.
        distances: distances[i][j] in the caller's unit; the durations when omitted.

    Returns:
        The matrix, as tuples.

    Raises:
        InvalidProblem: Every problem found, each naming its row and column.
    """
    errors = matrix_errors("durations", durations)
    if distances is not None:
        errors += matrix_errors("distances", distances)
        if not errors and len(distances) != len(durations):
            errors.append(f"distances: size {len(distances)} differs from durations size {len(durations)}")
    if errors:
        raise InvalidProblem(errors)
    dur = tuple(tuple(int(v) for v in row) for row in durations)
    dist = dur if distances is None else tuple(tuple(int(v) for v in row) for row in distances)
    return TravelMatrix(durations=dur, distances=dist)


MAX_ERRORS_PER_MATRIX = 20


def matrix_errors(name: str, rows: Sequence[Sequence[object]]) -> list[str]:
    """Every way `rows` is not a square matrix of non-negative integers (at most 20 reported).

    Args:
        name: How to name the matrix in the messages (e.g. "matrix.durations").
        rows: The matrix to check.

    Returns:
        Messages such as "matrix.durations[3][7]: -5 is negative"; empty when the matrix is good.
    """
    errors: list[str] = []
    n = len(rows)
    for i, row in enumerate(rows):
        if not isinstance(row, tuple | list):
            errors.append(f"{name}[{i}]: not a row")
            continue
        if len(row) != n:
            errors.append(f"{name}[{i}]: {len(row)} values, the matrix is not square ({n} rows)")
            continue
        if set(map(type, row)) <= {int} and (not row or (min(row) >= 0 and max(row) <= MAX_VALUE)):
            continue  # the common case, checked at C speed (a 3,000-location matrix in well under a second)
        errors += [f"{name}[{i}][{j}]: {v!r} {_value_problem(v)}" for j, v in enumerate(row) if _value_problem(v)]
        if len(errors) >= MAX_ERRORS_PER_MATRIX:
            return [*errors[:MAX_ERRORS_PER_MATRIX], f"{name}: more errors not listed"]
    return errors


MAX_VALUE = 10**9  # ~31 years in seconds or 1 million km in metres; anything above is a unit mistake


def _value_problem(v: object) -> str:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):  # numpy integers are welcome
        return "is not an integer"
    if int(v) < 0:
        return "is negative"
    if int(v) > MAX_VALUE:
        return f"is more than {MAX_VALUE}"
    return ""
