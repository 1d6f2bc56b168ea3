"""Photo checks: haversine distance to the site and the visit window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actions.site_checks import FAR_FROM_SITE_M, check_photo, haversine_m, visit_window

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
SITE = (30.31, -97.72)


def test_haversine_matches_known_distances() -> None:
    assert haversine_m(SITE, SITE) == 0
    assert haversine_m((0.0, 0.0), (0.0, 1.0)) == pytest.approx(111_195, abs=1)  # one degree on the equator
    assert haversine_m((0.0, 0.0), (1.0, 0.0)) == pytest.approx(111_195, abs=1)
    # Austin (Capitol) to Dallas (Reunion Tower): about 293 km.
    assert haversine_m((30.2747, -97.7404), (32.7755, -96.8089)) == pytest.approx(289_000, rel=0.02)
    assert haversine_m((0.0, 179.9), (0.0, -179.9)) == pytest.approx(22_239, abs=1)  # across the antimeridian


def test_the_visit_is_the_time_on_site_else_the_booking() -> None:
    on_site = visit_window(T0, T0 + timedelta(hours=1), T0 - timedelta(hours=5), T0 - timedelta(hours=4))
    assert on_site is not None and on_site.basis == "on_site"
    assert (on_site.start, on_site.end) == (T0 - timedelta(minutes=10), T0 + timedelta(minutes=70))
    booked = visit_window(None, None, T0, T0 + timedelta(hours=2))
    assert booked is not None and booked.basis == "scheduled"
    assert (booked.start, booked.end) == (T0 - timedelta(hours=1), T0 + timedelta(hours=3))
    assert visit_window(None, None, None, None) is None


def test_a_far_photo_is_flagged_with_its_distance() -> None:
    window = visit_window(T0, T0 + timedelta(hours=1), None, None)
    near = check_photo(T0 + timedelta(minutes=5), (30.3101, -97.7201), SITE, window)
    assert near.flags == () and near.distance_m == 15
    far = check_photo(T0 + timedelta(minutes=5), (30.2672, -97.7431), SITE, window)
    assert far.flags == ("far_from_site",) and far.distance_m == 5251
    # 0.0046 degrees of latitude is about 511 m, 0.0044 about 489 m: either side of the line.
    over = check_photo(None, (SITE[0] + 0.0046, SITE[1]), SITE, None)
    assert over.distance_m == 511 and over.distance_m > FAR_FROM_SITE_M and over.flags == ("far_from_site",)
    inside = check_photo(None, (SITE[0] + 0.0044, SITE[1]), SITE, None)
    assert inside.distance_m == 489 and inside.flags == ()


def test_a_photo_outside_the_visit_is_flagged() -> None:
    window = visit_window(T0, T0 + timedelta(hours=1), None, None)
    assert check_photo(T0 - timedelta(minutes=10), None, SITE, window).flags == ()  # slack: the walk from the van
    assert check_photo(T0 - timedelta(minutes=11), None, SITE, window).flags == ("outside_visit",)
    assert check_photo(T0 + timedelta(hours=3), (30.2672, -97.7431), SITE, window).flags == (
        "far_from_site", "outside_visit")


def test_what_cannot_be_checked_is_not_flagged() -> None:
    found = check_photo(None, None, SITE, None)
    assert (found.distance_m, found.flags) == (None, ())
    assert check_photo(T0, (0.0, 0.0), None, None).flags == ()
