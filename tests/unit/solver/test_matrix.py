"""Travel matrices from coordinates and from the caller's lists."""

from __future__ import annotations

import pytest

from solver.exceptions import InvalidProblem
from solver.matrix import great_circle_km, matrix_from_coordinates, matrix_from_lists


def test_great_circle_paris_london() -> None:
    assert great_circle_km((48.8566, 2.3522), (51.5074, -0.1278)) == pytest.approx(343.5, abs=0.5)


def test_one_degree_of_latitude_with_road_factor_and_speed() -> None:
    """Tests that 1° of latitude (111.195 km) x 1.3 gives integer metres and seconds at 40 km/h."""
    matrix = matrix_from_coordinates([(0.0, 0.0), (1.0, 0.0)])
    km = great_circle_km((0.0, 0.0), (1.0, 0.0)) * 1.3
    assert matrix.distances == ((0, round(km * 1000)), (round(km * 1000), 0))
    assert matrix.durations == ((0, round(km / 40 * 3600)), (round(km / 40 * 3600), 0))
    assert matrix.durations[0][1] == 13010
    assert all(isinstance(v, int) for row in matrix.durations for v in row)


def test_factor_and_speed_scale_the_matrix() -> None:
    slow = matrix_from_coordinates([(45.0, 7.0), (45.1, 7.1)], road_factor=1.0, speed_kmh=20.0)
    fast = matrix_from_coordinates([(45.0, 7.0), (45.1, 7.1)], road_factor=1.0, speed_kmh=80.0)
    assert slow.durations[0][1] == pytest.approx(4 * fast.durations[0][1], abs=2)
    assert slow.distances == fast.distances


def test_bad_coordinates_are_all_reported() -> None:
    with pytest.raises(InvalidProblem) as caught:
        matrix_from_coordinates([(0.0, 0.0), (91.0, 0.0), (0.0, float("nan"))], speed_kmh=0)
    assert caught.value.errors == [
        "points[1]: (91.0, 0.0) is not a (latitude, longitude) in degrees",
        "points[2]: (0.0, nan) is not a (latitude, longitude) in degrees",
        "speed_kmh: 0 must be positive",
    ]


def test_lists_become_a_matrix_and_distances_default_to_durations() -> None:
    matrix = matrix_from_lists([[0, 5], [7, 0]])
    assert matrix.durations == ((0, 5), (7, 0))
    assert matrix.distances == matrix.durations
    assert matrix.size == 2


@pytest.mark.parametrize(
    ("durations", "distances", "error"),
    [
        ([[0, 1], [1]], None, "durations[1]: 1 values, the matrix is not square (2 rows)"),
        ([[0, -1], [1, 0]], None, "durations[0][1]: -1 is negative"),
        ([[0, 1.5], [1, 0]], None, "durations[0][1]: 1.5 is not an integer"),
        ([[0, True], [1, 0]], None, "durations[0][1]: True is not an integer"),
        ([[0, 1], [1, 0]], [[0]], "distances: size 1 differs from durations size 2"),
        ([[0, 10**10], [1, 0]], None, "durations[0][1]: 10000000000 is more than 1000000000"),
    ],
)
def test_bad_lists_are_rejected_with_their_position(durations: list[list[object]], distances: object,
                                                    error: str) -> None:
    with pytest.raises(InvalidProblem) as caught:
        matrix_from_lists(durations, distances)  # type: ignore[arg-type]
    assert error in caught.value.errors
