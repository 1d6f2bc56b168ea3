"""Where and when a photo was taken, against the job's site and visit: flags, never refusals.

A photo more than `FAR_FROM_SITE_M` metres (great-circle, haversine) from the customer's location
is flagged `far_from_site`; one taken outside the visit is flagged `outside_visit`. The visit is
the time on site (arrival to departure, `ON_SITE_SLACK` either side, for phone clocks and the walk
from the van) or, when nobody recorded an arrival, the booked window `SCHEDULE_SLACK` either side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8
FAR_FROM_SITE_M = 500
ON_SITE_SLACK = timedelta(minutes=10)
SCHEDULE_SLACK = timedelta(minutes=60)
FAR_FROM_SITE = "far_from_site"
OUTSIDE_VISIT = "outside_visit"


@dataclass(frozen=True)
class VisitWindow:
    """When the technician was (or was booked to be) on site, slack included.

    Attributes:
        start: Earliest time a photo of the visit can carry (UTC).
        end: Latest such time (UTC).
        basis: "on_site" (arrival to departure) or "scheduled" (the booked window).
    """

    start: datetime
    end: datetime
    basis: str

    def contains(self, at: datetime) -> bool:
        """Whether `at` falls within the window (ends included).

        Args:
            at: A timezone-aware time.

        Returns:
            True when start <= at <= end.
        """
        return self.start <= at <= self.end


@dataclass(frozen=True)
class PhotoCheck:
    """What the checks found for one photo.

    Attributes:
        distance_m: Metres from the site (None without the photo's GPS or the site's location).
        flags: `far_from_site`, `outside_visit`, both or neither.
    """

    distance_m: int | None
    flags: tuple[str, ...]


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lng) points in degrees.

    Args:
        a: First point (latitude, longitude).
        b: Second point.

    Returns:
        The distance in metres.
    """
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def visit_window(arrived_at: datetime | None, departed_at: datetime | None,
                 scheduled_start: datetime | None, scheduled_end: datetime | None) -> VisitWindow | None:
    """The window photos of the visit should fall in, or None when nothing says when the visit was.

    Args:
        arrived_at: Arrival on site, if known.
        departed_at: Departure from site, if known (with an arrival: the end of the visit).
        scheduled_start: Start of the booked window, if any.
        scheduled_end: End of the booked window, if any.

    Returns:
        The on-site window when the arrival is known, else the booked one, else None.
    """
    if arrived_at is not None:
        end = departed_at if departed_at is not None and departed_at >= arrived_at else arrived_at
        return VisitWindow(arrived_at - ON_SITE_SLACK, end + ON_SITE_SLACK, "on_site")
    if scheduled_start is not None:
        end = scheduled_end if scheduled_end is not None and scheduled_end >= scheduled_start else scheduled_start
        return VisitWindow(scheduled_start - SCHEDULE_SLACK, end + SCHEDULE_SLACK, "scheduled")
    return None


def check_photo(taken_at: datetime | None, position: tuple[float, float] | None,
                site: tuple[float, float] | None, window: VisitWindow | None) -> PhotoCheck:
    """Flags a photo taken far from the site or outside the visit (what cannot be checked is not flagged).

    Args:
        taken_at: When the photo was taken, if the camera said.
        position: Where it was taken (lat, lng), if the camera said.
        site: The job's location (the customer's lat, lng), if known.
        window: The visit window, if known.

    Returns:
        The distance to the site and the flags.
    """
    flags: list[str] = []
    distance = None
    if position is not None and site is not None:
        distance = round(haversine_m(position, site))
        if distance > FAR_FROM_SITE_M:
            flags.append(FAR_FROM_SITE)
    if taken_at is not None and window is not None and not window.contains(taken_at):
        flags.append(OUTSIDE_VISIT)
    return PhotoCheck(distance, tuple(flags))
